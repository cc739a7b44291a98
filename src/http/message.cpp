#include <chatkit/http/message.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace chatkit::http {

std::string error_body(errc code, std::string_view message) {
  // A 500 never explains itself: the message could carry a SQL error, a path or a stack of the server.
  const bool internal = http_status(make_error_code(code)) >= 500 && code != errc::not_implemented &&
                        code != errc::unavailable;
  boost::json::object inner{{"type", error_type_name(code)},
                            {"message", internal ? std::string_view("Internal server error") : message}};
  return boost::json::serialize(boost::json::object{{"error", std::move(inner)}});
}

response make_error_response(errc code, std::string_view message, unsigned version, bool keep_alive) {
  response res{static_cast<boost::beast::http::status>(http_status(make_error_code(code))), version};
  res.set(boost::beast::http::field::content_type, "application/json");
  res.body() = error_body(code, message);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

response make_json_response(std::string body, unsigned version, bool keep_alive) {
  response res{boost::beast::http::status::ok, version};
  res.set(boost::beast::http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

std::string_view target_path(std::string_view target) noexcept {
  auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

}  // namespace chatkit::http
