#include <chatkit/http/message.hpp>

namespace chatkit::http {

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
