#include <chatkit/error.hpp>

namespace chatkit {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatkit"; }
  std::string message(int ev) const override { return std::string(error_type_name(static_cast<errc>(ev))); }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

std::string_view error_type_name(errc e) noexcept {
  switch (e) {
    case errc::ok:
      return "ok";
    case errc::invalid_request:
      return "invalid_request";
    case errc::unauthorized:
      return "unauthorized";
    case errc::forbidden:
      return "forbidden";
    case errc::not_found:
      return "not_found";
    case errc::method_not_allowed:
      return "method_not_allowed";
    case errc::conflict:
      return "conflict";
    case errc::payload_too_large:
      return "payload_too_large";
    case errc::headers_too_large:
      return "headers_too_large";
    case errc::too_many_requests:
      return "too_many_requests";
    case errc::not_implemented:
      return "not_implemented";
    case errc::internal:
      return "internal_error";
    case errc::unavailable:
      return "unavailable";
  }
  return "internal_error";
}

int http_status(const boost::system::error_code& ec) noexcept {
  if (ec.category() != error_category()) return 500;
  switch (static_cast<errc>(ec.value())) {
    case errc::ok:
      return 200;
    case errc::invalid_request:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::method_not_allowed:
      return 405;
    case errc::conflict:
      return 409;
    case errc::payload_too_large:
      return 413;
    case errc::headers_too_large:
      return 431;
    case errc::too_many_requests:
      return 429;
    case errc::not_implemented:
      return 501;
    case errc::internal:
      return 500;
    case errc::unavailable:
      return 503;
  }
  return 500;
}

}  // namespace chatkit
