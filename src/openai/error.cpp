#include <chatkit/openai/error.hpp>

#include "openai/detail/json_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace chatkit::openai {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "openai"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "ok";
      case errc::bad_request:
        return "bad request";
      case errc::authentication:
        return "authentication failed";
      case errc::permission_denied:
        return "permission denied";
      case errc::not_found:
        return "not found";
      case errc::conflict:
        return "conflict";
      case errc::unprocessable_entity:
        return "unprocessable entity";
      case errc::rate_limit:
        return "rate limited";
      case errc::internal_server:
        return "internal server error";
      case errc::api_status:
        return "unexpected HTTP status";
      case errc::connection:
        return "connection error";
      case errc::timeout:
        return "timed out";
      case errc::stream_error:
        return "error event in stream";
      case errc::stream_truncated:
        return "stream truncated";
      case errc::stream_protocol_error:
        return "stream protocol error";
      case errc::cancelled:
        return "cancelled";
      case errc::invalid_argument:
        return "invalid argument";
    }
    return "unknown openai error";
  }
};

}  // namespace

const boost::system::error_category& openai_category() noexcept {
  static const category instance;
  return instance;
}

errc errc_from_status(int status) noexcept {
  if (status >= 200 && status < 300) return errc::ok;
  switch (status) {
    case 400:
      return errc::bad_request;
    case 401:
      return errc::authentication;
    case 403:
      return errc::permission_denied;
    case 404:
      return errc::not_found;
    case 409:
      return errc::conflict;
    case 422:
      return errc::unprocessable_entity;
    case 429:
      return errc::rate_limit;
    default:
      break;
  }
  return status >= 500 ? errc::internal_server : errc::api_status;
}

api_error::api_error(errc kind, error_details details)
    : boost::system::system_error(make_error_code(kind), details.message), details_(std::move(details)) {}

api_error::api_error(errc kind, std::string message, std::string request_id, std::string body)
    : api_error(kind, [&] {
        error_details d;
        d.message = std::move(message);
        d.request_id = std::move(request_id);
        d.body = std::move(body);
        return d;
      }()) {}

void parse_error_body(std::string_view body, error_details& out) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  const boost::json::object* err = nullptr;
  if (!ec && v.is_object()) {
    if (auto* e = v.get_object().if_contains("error"); e && e->is_object()) err = &e->get_object();
  }
  if (err == nullptr) {
    out.message = std::string(body);
    return;
  }
  detail::read_error_fields(*err, out);
}

}  // namespace chatkit::openai
