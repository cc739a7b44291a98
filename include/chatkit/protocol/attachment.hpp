// Attachments (docs/protocol-reference.md#serialisation-rules). `metadata` is integration-only: written for audience::storage, never to clients.
#pragma once

#include <chatkit/protocol/json_io.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace chatkit::protocol {

enum class attachment_type { file, image };
BOOST_DESCRIBE_ENUM(attachment_type, file, image)

enum class upload_method { POST, PUT };
BOOST_DESCRIBE_ENUM(upload_method, POST, PUT)

struct upload_descriptor {
  static constexpr std::string_view defaulted_fields[] = {"headers"};
  std::string url;  // absolute URL
  upload_method method = upload_method::PUT;
  boost::json::object headers;
};
BOOST_DESCRIBE_STRUCT(upload_descriptor, (), (url, method, headers))

struct attachment {
  std::string id;
  std::string name;
  std::string mime_type;
  attachment_type type = attachment_type::file;
  std::optional<protocol::upload_descriptor> upload_descriptor;
  std::optional<std::string> thread_id;    // set once a user message containing it is saved
  std::optional<std::string> preview_url;  // required when type == image
  boost::json::object metadata;            // integration data; never sent to clients
};
// Written and read by hand (src/protocol/attachment.cpp): metadata depends on the audience, and
// preview_url is required for images only.

CHATKIT_PROTOCOL_TYPE(upload_descriptor)
CHATKIT_PROTOCOL_TYPE(attachment)

}  // namespace chatkit::protocol
