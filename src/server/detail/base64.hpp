// Standard base64 (RFC 4648, section 4) decoding for input.transcribe. Private to the server layer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chatkit::server::detail {

// nullopt for characters outside the alphabet, bad padding or a truncated final quantum. Whitespace is not
// allowed.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace chatkit::server::detail
