// Whether a request's Content-Type is one the ChatKit endpoint accepts (private to the http layer).
// Only JSON by default: a browser sends text/plain or form types cross-site without a CORS preflight,
// so accepting them would let any page post to the endpoint with the user's cookies. docs/http.md#limits.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chatkit::http::detail {

// The media type of a Content-Type value, lower-cased, without parameters or surrounding blanks
// ("Application/JSON; charset=utf-8" -> "application/json").
std::string media_type(std::string_view content_type);

// True when `accepted` is empty or holds the media type of `content_type` (compared without case).
// A missing (empty) Content-Type is accepted only by an empty list.
bool content_type_accepted(std::string_view content_type, const std::vector<std::string>& accepted);

}  // namespace chatkit::http::detail
