// memory_attachment_store: an attachment_store (docs/stores.md) keeping the bytes in process memory, for
// tests, demos and the echo bot. Two-phase uploads: create_attachment registers the attachment and returns an
// upload descriptor `<upload_base_url><id>`; the host's upload endpoint then hands the bytes to
// put_bytes. Thread-safe; every attachment belongs to the user that created it and is invisible to others.
#pragma once

#include <chatkit/protocol/attachment.hpp>
#include <chatkit/store/store.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace chatkit::store {

struct memory_attachment_store_options {
  // Prefix of every upload URL; the attachment id is appended. Must be an absolute URL.
  std::string upload_base_url = "http://127.0.0.1/uploads/";
  protocol::upload_method upload_method = protocol::upload_method::PUT;
  boost::json::object upload_headers;  // sent back to the client in the upload descriptor
  // Largest attachment accepted, both as the declared size and as the uploaded bytes.
  std::size_t max_bytes = 16 * 1024 * 1024;
};

class memory_attachment_store final : public attachment_store {
 public:
  explicit memory_attachment_store(memory_attachment_store_options options = {});
  ~memory_attachment_store() override;
  memory_attachment_store(const memory_attachment_store&) = delete;
  memory_attachment_store& operator=(const memory_attachment_store&) = delete;

  // A `file` attachment, or an `image` (with preview_url `<upload url>/preview`) when the MIME type starts
  // with "image/". invalid_request for an empty name or MIME type, a negative size or one over
  // max_bytes.
  awaitable<protocol::attachment> create_attachment(const protocol::attachments_create_params& params,
                                                    const request_context& ctx) override;
  // Deletes the attachment and its bytes. not_found when unknown or not the caller's.
  awaitable<void> delete_attachment(std::string attachment_id, const request_context& ctx) override;

  // The upload step: stores (replacing) the bytes of an attachment created by the caller.
  // not_found when unknown or not the caller's; payload_too_large over
  // max_bytes.
  void put_bytes(const std::string& attachment_id, std::string bytes, const request_context& ctx);
  // The uploaded bytes. not_found when unknown, not the caller's, or not uploaded yet.
  std::string load_bytes(const std::string& attachment_id, const request_context& ctx) const;

  const memory_attachment_store_options& options() const noexcept { return options_; }

 private:
  struct impl;
  memory_attachment_store_options options_;
  std::unique_ptr<impl> impl_;
};

}  // namespace chatkit::store
