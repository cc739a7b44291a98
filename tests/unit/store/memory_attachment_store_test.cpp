// memory_attachment_store: two-phase upload descriptors, bytes, deletion, and isolation.
#include <chatkit/store/memory_attachment_store.hpp>
#include <chatkit/store/testing/store_contract.hpp>

#include <catch2/catch.hpp>

#include <set>

using chatkit::errc;
using chatkit::store::memory_attachment_store;
using chatkit::store::testing::run_sync;
namespace protocol = chatkit::protocol;

namespace {

chatkit::request_context user(std::string id) {
  chatkit::request_context ctx;
  ctx.user_id = std::move(id);
  return ctx;
}

template <class F>
chatkit::error error_of(F&& f) {
  try {
    f();
  } catch (const chatkit::error& e) {
    return e;
  }
  FAIL("no chatkit::error thrown");
  return chatkit::error(errc::ok, "");
}

}  // namespace

TEST_CASE("memory_attachment_store: create gives a file with an upload descriptor", "[attachment_store]") {
  chatkit::store::memory_attachment_store_options options;
  options.upload_base_url = "http://127.0.0.1:8080/up/";
  options.upload_method = protocol::upload_method::POST;
  options.upload_headers = {{"x-upload", "1"}};
  memory_attachment_store s(options);
  auto alice = user("alice");
  auto a = run_sync(s.create_attachment({"notes.txt", 12, "text/plain"}, alice));
  CHECK(a.id.rfind("atc_", 0) == 0);
  CHECK(a.name == "notes.txt");
  CHECK(a.mime_type == "text/plain");
  CHECK(a.type == protocol::attachment_type::file);
  CHECK_FALSE(a.preview_url.has_value());
  CHECK_FALSE(a.thread_id.has_value());
  REQUIRE(a.upload_descriptor.has_value());
  CHECK(a.upload_descriptor->url == "http://127.0.0.1:8080/up/" + a.id);
  CHECK(a.upload_descriptor->method == protocol::upload_method::POST);
  CHECK(a.upload_descriptor->headers == boost::json::object{{"x-upload", "1"}});
  // The client-facing JSON carries no integration metadata.
  CHECK(protocol::to_json(a).find("declared_size") == std::string::npos);
}

TEST_CASE("memory_attachment_store: an image MIME type gives an image with a preview URL",
          "[attachment_store]") {
  memory_attachment_store s;
  auto a = run_sync(s.create_attachment({"cat.png", 10, "image/png"}, user("alice")));
  CHECK(a.type == protocol::attachment_type::image);
  REQUIRE(a.preview_url.has_value());
  CHECK(*a.preview_url == "http://127.0.0.1/uploads/" + a.id + "/preview");
}

TEST_CASE("memory_attachment_store: ids are distinct", "[attachment_store]") {
  memory_attachment_store s;
  auto alice = user("alice");
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.insert(run_sync(s.create_attachment({"f", 1, "text/plain"}, alice)).id);
  CHECK(ids.size() == 200);
}

TEST_CASE("memory_attachment_store: bytes are uploaded, read back and deleted", "[attachment_store]") {
  memory_attachment_store s;
  auto alice = user("alice");
  auto a = run_sync(s.create_attachment({"f.bin", 4, "application/octet-stream"}, alice));
  CHECK(error_of([&] { s.load_bytes(a.id, alice); }).code_value() ==
        chatkit::errc::not_found);  // not uploaded yet
  s.put_bytes(a.id, std::string("\0\1\2\3", 4), alice);
  CHECK(s.load_bytes(a.id, alice) == std::string("\0\1\2\3", 4));
  run_sync(s.delete_attachment(a.id, alice));
  CHECK(error_of([&] { s.load_bytes(a.id, alice); }).code_value() == chatkit::errc::not_found);
  auto again = error_of([&] { run_sync(s.delete_attachment(a.id, alice)); });
  CHECK(again.code_value() == chatkit::errc::not_found);
  CHECK(error_of([&] { s.put_bytes(a.id, "x", alice); }).code_value() == chatkit::errc::not_found);
}

TEST_CASE("memory_attachment_store: another user's attachment looks missing",
          "[attachment_store][isolation]") {
  memory_attachment_store s;
  auto alice = user("alice");
  auto bob = user("bob");
  auto a = run_sync(s.create_attachment({"secret.txt", 3, "text/plain"}, alice));
  s.put_bytes(a.id, "abc", alice);
  auto foreign_delete = error_of([&] { run_sync(s.delete_attachment(a.id, bob)); });
  auto foreign_read = error_of([&] { s.load_bytes(a.id, bob); });
  auto foreign_write = error_of([&] { s.put_bytes(a.id, "pwned", bob); });
  CHECK(foreign_delete.code_value() == chatkit::errc::not_found);
  CHECK(foreign_read.code_value() == chatkit::errc::not_found);
  CHECK(foreign_write.code_value() == chatkit::errc::not_found);
  CHECK(s.load_bytes(a.id, alice) == "abc");  // untouched
  run_sync(s.delete_attachment(a.id, alice));
  auto missing_delete = error_of([&] { run_sync(s.delete_attachment(a.id, bob)); });
  auto missing_read = error_of([&] { s.load_bytes(a.id, bob); });
  CHECK(foreign_delete.message() == missing_delete.message());
  CHECK(foreign_read.message() == missing_read.message());
}

TEST_CASE("memory_attachment_store: bad input is a clear error", "[attachment_store]") {
  chatkit::store::memory_attachment_store_options options;
  options.max_bytes = 10;
  memory_attachment_store s(options);
  auto alice = user("alice");
  CHECK(error_of([&] {
          run_sync(s.create_attachment({"f", 1, "text/plain"}, user("")));
        }).code_value() == chatkit::errc::unauthorized);
  CHECK(error_of([&] {
          run_sync(s.create_attachment({"", 1, "text/plain"}, alice));
        }).code_value() == chatkit::errc::invalid_request);
  CHECK(error_of([&] {
          run_sync(s.create_attachment({"f", 1, ""}, alice));
        }).code_value() == chatkit::errc::invalid_request);
  CHECK(error_of([&] {
          run_sync(s.create_attachment({"f", -1, "text/plain"}, alice));
        }).code_value() == chatkit::errc::invalid_request);
  CHECK(error_of([&] {
          run_sync(s.create_attachment({"f", 11, "text/plain"}, alice));
        }).code_value() == chatkit::errc::invalid_request);
  auto a = run_sync(s.create_attachment({"f", 10, "text/plain"}, alice));
  CHECK(error_of([&] { s.put_bytes(a.id, std::string(11, 'x'), alice); }).code_value() ==
        chatkit::errc::payload_too_large);
  s.put_bytes(a.id, std::string(10, 'x'), alice);
  CHECK(s.load_bytes(a.id, alice).size() == 10);
}
