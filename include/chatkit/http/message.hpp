// The HTTP message types of the front end (Beast's string-bodied request/response) and the JSON error
// responses every failure is answered with: {"error": {"type": "...", "message": "..."}}.
#pragma once

#include <chatkit/error.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace chatkit::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

// The JSON error body. For errc::internal (and anything unknown) the message is replaced by a fixed text
// so that server internals never reach a client.
std::string error_body(errc code, std::string_view message);

// A complete error response: the status mapped from `code`, application/json, Content-Length set.
response make_error_response(errc code, std::string_view message, unsigned version = 11, bool keep_alive = true);

// A 200 application/json response.
response make_json_response(std::string body, unsigned version = 11, bool keep_alive = true);

// The target without its query string or fragment ("/chatkit?x=1" -> "/chatkit").
std::string_view target_path(std::string_view target) noexcept;

}  // namespace chatkit::http
