#include <chatkit/store/memory_attachment_store.hpp>

#include <chatkit/store/error.hpp>

#include <mutex>
#include <optional>
#include <unordered_map>

namespace chatkit::store {

struct memory_attachment_store::impl {
  struct entry {
    std::string owner;
    std::optional<std::string> bytes;  // empty until uploaded
  };
  mutable std::mutex mutex;
  std::unordered_map<std::string, entry> entries;

  // The caller's entry, or the not-found error a missing one gets (mutex held).
  entry& owned(const std::string& attachment_id, const request_context& ctx) {
    auto it = entries.find(attachment_id);
    if (it == entries.end() || it->second.owner != ctx.user_id) throw_attachment_not_found(attachment_id);
    return it->second;
  }
};

memory_attachment_store::memory_attachment_store(memory_attachment_store_options options)
    : options_(std::move(options)), impl_(std::make_unique<impl>()) {}

memory_attachment_store::~memory_attachment_store() = default;

awaitable<protocol::attachment> memory_attachment_store::create_attachment(
    const protocol::attachments_create_params& params, const request_context& ctx) {
  require_user(ctx);
  if (params.name.empty())
    throw chatkit::error(chatkit::errc::invalid_request, "attachment name must not be empty");
  if (params.mime_type.empty())
    throw chatkit::error(chatkit::errc::invalid_request, "attachment mime_type must not be empty");
  if (params.size < 0)
    throw chatkit::error(chatkit::errc::invalid_request, "attachment size must not be negative");
  if (static_cast<std::uint64_t>(params.size) > options_.max_bytes)
    throw chatkit::error(chatkit::errc::invalid_request, "attachment size exceeds the limit of " +
                                                             std::to_string(options_.max_bytes) + " bytes");

  protocol::attachment a;
  a.id = generate_attachment_id(params.mime_type, ctx);
  a.name = params.name;
  a.mime_type = params.mime_type;
  const std::string url = options_.upload_base_url + a.id;
  a.upload_descriptor = protocol::upload_descriptor{url, options_.upload_method, options_.upload_headers};
  if (a.mime_type.starts_with("image/")) {
    a.type = protocol::attachment_type::image;
    a.preview_url = url + "/preview";
  }
  a.metadata = boost::json::object{{"declared_size", params.size}};
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->entries.emplace(a.id, impl::entry{ctx.user_id, std::nullopt}).second)
      throw chatkit::error(chatkit::errc::conflict, "generated attachment id already exists: " + a.id);
  }
  co_return a;
}

awaitable<void> memory_attachment_store::delete_attachment(std::string attachment_id,
                                                           const request_context& ctx) {
  require_user(ctx);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->owned(attachment_id, ctx);
    impl_->entries.erase(attachment_id);
  }
  co_return;
}

void memory_attachment_store::put_bytes(const std::string& attachment_id, std::string bytes,
                                        const request_context& ctx) {
  require_user(ctx);
  if (bytes.size() > options_.max_bytes)
    throw chatkit::error(chatkit::errc::payload_too_large,
                         "attachment exceeds the limit of " + std::to_string(options_.max_bytes) + " bytes");
  std::lock_guard lock(impl_->mutex);
  impl_->owned(attachment_id, ctx).bytes = std::move(bytes);
}

std::string memory_attachment_store::load_bytes(const std::string& attachment_id,
                                                const request_context& ctx) const {
  require_user(ctx);
  std::lock_guard lock(impl_->mutex);
  auto& e = impl_->owned(attachment_id, ctx);
  if (!e.bytes)
    throw chatkit::error(chatkit::errc::not_found, "attachment not uploaded yet: " + attachment_id);
  return *e.bytes;
}

}  // namespace chatkit::store
