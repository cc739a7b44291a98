// The HTTP message types of the front end (Beast's string-bodied request/response) and helpers to build them.
// Error responses are built by http/error.hpp.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace chatkit::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;
// Reads a request in two steps (head, then body), so it can be refused from its head alone.
using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A 200 application/json response.
response make_json_response(std::string body, unsigned version = 11, bool keep_alive = true);

// The target without its query string or fragment ("/chatkit?x=1" -> "/chatkit").
std::string_view target_path(std::string_view target) noexcept;

}  // namespace chatkit::http
