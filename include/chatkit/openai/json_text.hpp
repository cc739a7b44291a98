// Parsing JSON text as peers send it (docs/openai-client.md#lone-surrogates). Some servers cut text by
// UTF-16 position, so a string may carry a lone surrogate escape such as "\ud83d"; Boost.JSON rejects it.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>

namespace chatkit::openai {

// Parses `text` like boost::json::parse, except that a lone UTF-16 surrogate escape (a `\uD800`-`\uDFFF`
// escape not forming a pair) becomes U+FFFD instead of failing the parse. Text without such an escape is
// parsed exactly as boost::json::parse does (no extra work).
boost::json::value parse_json_text(std::string_view text, boost::system::error_code& ec);

}  // namespace chatkit::openai
