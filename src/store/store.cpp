#include <chatkit/store/store.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace chatkit::store {

std::string_view id_prefix(id_kind kind) noexcept {
  switch (kind) {
    case id_kind::thread:
      return "thr";
    case id_kind::message:
      return "msg";
    case id_kind::tool_call:
      return "tc";
    case id_kind::task:
      return "tsk";
    case id_kind::workflow:
      return "wf";
    case id_kind::attachment:
      return "atc";
    case id_kind::sdk_hidden_context:
      return "shcx";
  }
  return "id";
}

std::string default_id(id_kind kind) {
  // 96 bits from OpenSSL's CSPRNG: ids can be neither predicted from earlier ones nor expected to collide
  // (docs/stores.md#ids); the rare collision is retried by the server (store::insert_thread).
  std::array<unsigned char, default_id_random_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("default_id: the system's random generator failed");
  // Led by the time in milliseconds, so that new ids sort after older ones: an index keyed by id (the SQLite
  // store's index of item ids) then grows at its end, where concurrent appends to different threads share
  // pages, instead of at a random place per append.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const auto time = static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 0));
  constexpr char hex[] = "0123456789abcdef";
  const std::string_view prefix = id_prefix(kind);
  std::string id;
  id.reserve(prefix.size() + 1 + default_id_time_digits + 2 * bytes.size());
  id.append(prefix);
  id.push_back('_');
  for (std::size_t d = default_id_time_digits; d-- > 0;) id.push_back(hex[(time >> (4 * d)) & 0xF]);
  for (unsigned char b : bytes) {
    id.push_back(hex[b >> 4]);
    id.push_back(hex[b & 0xF]);
  }
  return id;
}

std::string store::generate_thread_id(const request_context&) {
  return default_id(id_kind::thread);
}

std::string store::generate_item_id(id_kind kind, const protocol::thread_metadata&, const request_context&) {
  return default_id(kind);
}

awaitable<page_end> store::visit_threads(std::size_t limit, std::optional<std::string> after,
                                         protocol::sort_order order, const request_context& ctx,
                                         const thread_visitor& visit) {
  auto page = co_await load_threads(limit, std::move(after), order, ctx);
  for (const auto& t : page.data) visit(t);
  co_return page_end{page.has_more, std::move(page.after)};
}

awaitable<void> store::insert_thread(const protocol::thread_metadata& thread, const request_context& ctx) {
  // Portable over any store: a thread of the caller's with this id is found by load_thread, and another
  // user's makes save_thread answer not_found (the isolation rule), so either way the id is taken. Any
  // chatkit::error with errc::not_found counts, so a host's store that throws its own errors works too.
  bool exists = true;
  try {
    co_await load_thread(thread.id, ctx);
  } catch (const chatkit::error& e) {
    if (e.code_value() != chatkit::errc::not_found) throw;
    exists = false;
  }
  if (exists) throw_id_taken(thread.id);
  try {
    co_await save_thread(thread, ctx);
  } catch (const chatkit::error& e) {
    if (e.code_value() != chatkit::errc::not_found) throw;
    throw_id_taken(thread.id);
  }
}

std::string attachment_store::generate_attachment_id(std::string_view, const request_context&) {
  return default_id(id_kind::attachment);
}

awaitable<protocol::attachment> attachment_store::create_attachment(
    const protocol::attachments_create_params&, const request_context&) {
  throw store_error(errc::not_supported,
                    "this attachment store does not support two-phase uploads (create_attachment)");
  co_return protocol::attachment{};
}

}  // namespace chatkit::store
