// Shared helper of the decoder tests: a whole body run through a fresh decoder.
#pragma once

#include <chatkit/openai/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace chatkit::openai::test {

// What a decoder (responses_decoder or chat_decoder) made of a body: the events or chunks it delivered,
// the error that ended it, if any, and the accumulated result.
template <class Decoder>
struct decoded {
  std::vector<typename decltype(std::declval<Decoder&>().next())::value_type> events;
  std::optional<api_error> error;
  std::decay_t<decltype(std::declval<Decoder&>().accumulator().current())> final;
};

// Feeds `bytes` to a Decoder made from `args` in pieces of `step` bytes (0 = all at once), then ends
// the body.
template <class Decoder, class... Args>
decoded<Decoder> decode_all(std::string_view bytes, std::size_t step, std::string request_id,
                            Args&&... args) {
  decoded<Decoder> out;
  Decoder d(std::forward<Args>(args)...);
  d.set_request_id(std::move(request_id));
  try {
    const std::size_t n = step == 0 ? bytes.size() : step;
    for (std::size_t i = 0; i < bytes.size(); i += n) {
      d.feed(bytes.substr(i, n));
      while (auto e = d.next()) out.events.push_back(std::move(*e));
    }
    d.finish();
  } catch (const api_error& e) {
    out.error = e;
  }
  out.final = d.accumulator().current();
  return out;
}

}  // namespace chatkit::openai::test
