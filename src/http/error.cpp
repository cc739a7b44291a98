#include <chatkit/http/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace chatkit::http {
namespace {

class jwt_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatkit.jwt"; }
  std::string message(int ev) const override {
    switch (static_cast<jwt_errc>(ev)) {
      case jwt_errc::ok:
        return "ok";
      case jwt_errc::malformed:
        return "malformed token";
      case jwt_errc::unsupported_alg:
        return "unsupported token algorithm";
      case jwt_errc::no_matching_key:
        return "no key matches the token";
      case jwt_errc::bad_signature:
        return "invalid token signature";
      case jwt_errc::expired:
        return "token expired";
      case jwt_errc::not_yet_valid:
        return "token not yet valid";
      case jwt_errc::missing_exp:
        return "token has no expiry";
      case jwt_errc::wrong_issuer:
        return "wrong token issuer";
      case jwt_errc::wrong_audience:
        return "wrong token audience";
      case jwt_errc::missing_user_claim:
        return "token has no user id claim";
      case jwt_errc::duplicate_member:
        return "token has a duplicate member name";
      case jwt_errc::keys_unavailable:
        return "no key set available (the JWKS URL could not be fetched)";
    }
    return "invalid token";
  }
};

}  // namespace

const boost::system::error_category& jwt_category() noexcept {
  static const jwt_category_impl instance;
  return instance;
}

std::string error_body(errc code, std::string_view message) {
  // A 500 never explains itself: the message could carry a SQL error, a path or a stack of the server.
  const bool internal =
      http_status(make_error_code(code)) >= 500 && code != errc::not_implemented && code != errc::unavailable;
  boost::json::object inner{{"type", error_type_name(code)},
                            {"message", internal ? std::string_view("Internal server error") : message}};
  return boost::json::serialize(boost::json::object{{"error", std::move(inner)}});
}

response make_error_response(boost::beast::http::status status, std::string_view type,
                             std::string_view message, unsigned version, bool keep_alive) {
  response res{status, version};
  res.set(boost::beast::http::field::content_type, "application/json");
  res.body() = boost::json::serialize(
      boost::json::object{{"error", boost::json::object{{"type", type}, {"message", message}}}});
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

response make_error_response(errc code, std::string_view message, unsigned version, bool keep_alive) {
  response res{static_cast<boost::beast::http::status>(http_status(make_error_code(code))), version};
  res.set(boost::beast::http::field::content_type, "application/json");
  res.body() = error_body(code, message);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace chatkit::http
