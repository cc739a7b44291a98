// Attachment metadata: save/load/upsert/delete and not-found behaviour.
#include "check_context.hpp"

namespace chatkit::store::testing::detail {

namespace {

protocol::attachment file_attachment(check_context& c) {
  protocol::attachment a;
  a.id = c.id("atc");
  a.name = "notes \"v2\" é.txt";
  a.mime_type = "text/plain";
  a.type = protocol::attachment_type::file;
  a.upload_descriptor =
      protocol::upload_descriptor{"https://uploads.example.test/" + a.id, protocol::upload_method::PUT,
                                  boost::json::object{{"x-upload", "1"}}};
  a.metadata = boost::json::object{{"storage_key", "bucket/key"}, {"size", 1234}};
  return a;
}

void file_attachment_round_trips(check_context& c) {
  auto a = file_attachment(c);
  c.run(c.s->save_attachment(a, c.alice));
  CHECK(json_of(c.run(c.s->load_attachment(a.id, c.alice))) == json_of(a));
}

void image_attachment_round_trips(check_context& c) {
  protocol::attachment a;
  a.id = c.id("atc");
  a.name = "cat.png";
  a.mime_type = "image/png";
  a.type = protocol::attachment_type::image;
  a.preview_url = "https://uploads.example.test/" + a.id + "/preview";
  a.upload_descriptor =
      protocol::upload_descriptor{"https://uploads.example.test/" + a.id, protocol::upload_method::POST, {}};
  a.thread_id = c.id("thr");
  c.run(c.s->save_attachment(a, c.alice));
  CHECK(json_of(c.run(c.s->load_attachment(a.id, c.alice))) == json_of(a));
}

void save_attachment_upserts(check_context& c) {
  auto a = file_attachment(c);
  auto other = file_attachment(c);
  c.run(c.s->save_attachment(a, c.alice));
  c.run(c.s->save_attachment(other, c.alice));
  // The second phase of an upload: the attachment joins a thread and its metadata changes.
  a.thread_id = c.id("thr");
  a.upload_descriptor.reset();
  a.metadata = boost::json::object{{"uploaded", true}};
  c.run(c.s->save_attachment(a, c.alice));
  CHECK(json_of(c.run(c.s->load_attachment(a.id, c.alice))) == json_of(a));
  CHECK(json_of(c.run(c.s->load_attachment(other.id, c.alice))) == json_of(other));
}

void load_missing_attachment_is_not_found(check_context& c) {
  const std::string missing = c.id("atc");
  auto message =
      expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_attachment(missing, c.alice)); });
  CHECK(message.find(missing) != std::string::npos);
}

void delete_attachment_removes_it(check_context& c) {
  auto a = file_attachment(c);
  auto keep = file_attachment(c);
  c.run(c.s->save_attachment(a, c.alice));
  c.run(c.s->save_attachment(keep, c.alice));
  c.run(c.s->delete_attachment(a.id, c.alice));
  auto load = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->load_attachment(a.id, c.alice)); });
  auto twice = expect_error(chatkit::errc::not_found, [&] { c.run(c.s->delete_attachment(a.id, c.alice)); });
  CHECK(twice == load);
  expect_error(chatkit::errc::not_found, [&] { c.run(c.s->delete_attachment(c.id("atc"), c.alice)); });
  CHECK(json_of(c.run(c.s->load_attachment(keep.id, c.alice))) == json_of(keep));
}

void attachments_outlive_their_thread(check_context& c) {
  // Attachment metadata is not an item: deleting the thread it was sent in does not delete it (the bytes
  // and the metadata are removed by attachments.delete).
  auto t = c.new_thread(c.alice);
  auto a = file_attachment(c);
  a.thread_id = t.id;
  c.run(c.s->save_attachment(a, c.alice));
  c.run(c.s->delete_thread(t.id, c.alice));
  CHECK(json_of(c.run(c.s->load_attachment(a.id, c.alice))) == json_of(a));
}

}  // namespace

void add_attachment_checks(std::vector<check>& out) {
  out.push_back(
      {"a file attachment round-trips with its metadata", "[attachments]", file_attachment_round_trips});
  out.push_back({"an image attachment round-trips with its preview_url", "[attachments]",
                 image_attachment_round_trips});
  out.push_back({"save_attachment on an existing id updates it", "[attachments]", save_attachment_upserts});
  out.push_back({"load_attachment of a missing id is not_found", "[attachments]",
                 load_missing_attachment_is_not_found});
  out.push_back(
      {"delete_attachment removes it; again is not_found", "[attachments]", delete_attachment_removes_it});
  out.push_back(
      {"delete_thread keeps the attachments sent in it", "[attachments]", attachments_outlive_their_thread});
}

}  // namespace chatkit::store::testing::detail
