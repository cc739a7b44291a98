#include <chatkit/store/store.hpp>

#include <random>

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
  // One generator per thread, seeded from the OS: ids are opaque but must not collide or be guessable
  // cheaply.
  thread_local std::mt19937_64 engine = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  constexpr char hex[] = "0123456789abcdef";
  const std::string_view prefix = id_prefix(kind);
  std::string id;
  id.reserve(prefix.size() + 9);
  id.append(prefix);
  id.push_back('_');
  auto bits = engine();
  for (int i = 0; i < 8; ++i) {
    id.push_back(hex[bits & 0xF]);
    bits >>= 4;
  }
  return id;
}

std::string store::generate_thread_id(const request_context&) {
  return default_id(id_kind::thread);
}

std::string store::generate_item_id(id_kind kind, const protocol::thread_metadata&, const request_context&) {
  return default_id(kind);
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
