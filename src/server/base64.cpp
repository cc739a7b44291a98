#include "server/detail/base64.hpp"

#include <array>
#include <cstdint>

namespace chatkit::server::detail {
namespace {

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto table = make_table();

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t quantum = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      std::int8_t v = table[static_cast<unsigned char>(c)];
      if (c == '=') {
        if (!last || j < 4 - padding) return std::nullopt;
        v = 0;
      } else if (v < 0) {
        return std::nullopt;
      }
      quantum = quantum << 6 | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>(quantum >> 16 & 0xFF));
    if (!(last && padding >= 2)) out.push_back(static_cast<char>(quantum >> 8 & 0xFF));
    if (!(last && padding >= 1)) out.push_back(static_cast<char>(quantum & 0xFF));
  }
  return out;
}

}  // namespace chatkit::server::detail
