#include <chatkit/openai/json_text.hpp>

#include "openai/detail/lone_surrogates.hpp"

#include <boost/json/parse.hpp>

namespace chatkit::openai {

boost::json::value parse_json_text(std::string_view text, boost::system::error_code& ec) {
  auto v = boost::json::parse(text, ec);
  if (!ec || !detail::has_surrogate_escape(text)) return v;
  boost::system::error_code retry;
  v = detail::parse_with_lone_surrogates(text, retry);
  if (retry) return v;  // keeps the first error: it names the real problem
  ec = {};
  detail::replace_lone_surrogates(v);
  return v;
}

}  // namespace chatkit::openai
