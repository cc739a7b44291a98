// Codec instantiations for requests, and the strict parser for untrusted request bodies.
#include "detail/codec.hpp"
#include "detail/request_parser.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value_stack.hpp>

#include <optional>
#include <utility>
#include <vector>

namespace chatkit::protocol {

namespace {

// A basic_parser handler that builds the value (through value_stack) and applies read_limits to every value
// of the document while it is parsed, known field or not: a string or member name over max_string_bytes (its
// bytes are not kept past the limit), an array over max_array_items. Depth is the parser's own max_depth. The
// first violation stops the parse; its JSON path and problem are kept for the error
// (docs/protocol.md#limits).
class limited_builder {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;

  limited_builder(const read_limits& limits, boost::json::storage_ptr storage) : limits_(limits) {
    stack_.reset(std::move(storage));
  }

  boost::json::value release() { return stack_.release(); }
  // The violation, when the parse stopped on one: (path, problem).
  const std::optional<std::pair<std::string, std::string>>& violation() const noexcept { return violation_; }

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) {
    frames_.push_back({true, 0, {}});
    return true;
  }
  bool on_array_end(std::size_t n, ec_t& ec) {
    frames_.pop_back();
    if (n > limits_.max_array_items)
      return stop(ec, "array has " + std::to_string(n) + " items; the limit is " +
                          std::to_string(limits_.max_array_items));
    stack_.push_array(n);
    value_done();
    return true;
  }
  bool on_object_begin(ec_t&) {
    frames_.push_back({false, 0, {}});
    return true;
  }
  bool on_object_end(std::size_t n, ec_t&) {
    frames_.pop_back();
    stack_.push_object(n);
    value_done();
    return true;
  }
  bool on_string_part(sv s, std::size_t n, ec_t&) {
    if (n <= limits_.max_string_bytes) stack_.push_chars(s);  // past the limit the bytes are only counted
    return true;
  }
  bool on_string(sv s, std::size_t n, ec_t& ec) {
    if (n > limits_.max_string_bytes)
      return stop(ec, "string of " + std::to_string(n) + " bytes exceeds the limit of " +
                          std::to_string(limits_.max_string_bytes) + " bytes");
    stack_.push_string(s);
    value_done();
    return true;
  }
  bool on_key_part(sv s, std::size_t n, ec_t&) {
    if (n <= limits_.max_string_bytes) {
      stack_.push_chars(s);
      key_.append(s.data(), s.size());
    }
    return true;
  }
  bool on_key(sv s, std::size_t n, ec_t& ec) {
    if (n > limits_.max_string_bytes) {
      key_.clear();
      // Reported at the object that holds the member (the name itself is too long to print).
      return stop(ec,
                  "member name of " + std::to_string(n) + " bytes exceeds the limit of " +
                      std::to_string(limits_.max_string_bytes) + " bytes",
                  /*at_enclosing_object=*/true);
    }
    stack_.push_key(s);
    key_.append(s.data(), s.size());
    frames_.back().key.swap(key_);
    key_.clear();
    return true;
  }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t i, sv, ec_t&) {
    stack_.push_int64(i);
    value_done();
    return true;
  }
  bool on_uint64(std::uint64_t u, sv, ec_t&) {
    stack_.push_uint64(u);
    value_done();
    return true;
  }
  bool on_double(double d, sv, ec_t&) {
    stack_.push_double(d);
    value_done();
    return true;
  }
  bool on_bool(bool b, ec_t&) {
    stack_.push_bool(b);
    value_done();
    return true;
  }
  bool on_null(ec_t&) {
    stack_.push_null();
    value_done();
    return true;
  }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }

 private:
  struct frame {
    bool array;
    std::size_t count;  // array: the index of the element being parsed
    std::string key;    // object: the name of the member being parsed
  };

  void value_done() noexcept {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
  }

  // Records the violation at the value being parsed (the frames still open; without the innermost one's
  // member with `at_enclosing_object`) and stops the parser.
  bool stop(ec_t& ec, std::string problem, bool at_enclosing_object = false) {
    std::vector<detail::path_node> nodes;
    nodes.reserve(frames_.size() + 1);
    nodes.push_back(detail::path_node{});
    const std::size_t open = at_enclosing_object && !frames_.empty() ? frames_.size() - 1 : frames_.size();
    for (std::size_t i = 0; i < open; ++i) {
      const frame& f = frames_[i];
      const detail::path_node* parent = &nodes.back();
      nodes.push_back(f.array ? detail::path_node{parent, {}, f.count, true, {}}
                              : detail::path_node{parent, f.key, 0, false, {}});
    }
    violation_.emplace(detail::render_path(nodes.back()), std::move(problem));
    ec = boost::json::error::exception;
    return false;
  }

  const read_limits& limits_;
  boost::json::value_stack stack_;
  std::vector<frame> frames_;
  std::string key_;
  std::optional<std::pair<std::string, std::string>> violation_;
};

// Parses into `storage` (a monotonic arena for short-lived trees, or the default heap), applying every limit
// of `limits` to every value while parsing.
boost::json::value parse_into(std::string_view text, const read_limits& limits,
                              boost::json::storage_ptr storage) {
  detail::check_body_size(text, limits);
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::basic_parser<limited_builder> parser(options, limits, std::move(storage));
  boost::system::error_code ec;
  const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (const auto& v = parser.handler().violation()) {
    std::string message = v->first.empty() ? std::string("(root)") : v->first;
    message += ": " + v->second;
    throw chatkit::error(errc::invalid_request, std::move(message), v->first);
  }
  if (!ec && consumed < text.size()) ec = boost::json::error::extra_data;
  if (ec) {
    std::string message = "(root): ";
    if (ec == boost::json::error::too_deep) {
      message += "nesting deeper than " + std::to_string(limits.max_depth) + " levels";
    } else {
      message += "malformed JSON (" + ec.message() + ") at byte " + std::to_string(consumed);
    }
    throw chatkit::error(errc::invalid_request, std::move(message));
  }
  return parser.handler().release();
}

}  // namespace

boost::json::value parse_json_text(std::string_view text, const read_limits& limits) {
  return parse_into(text, limits, {});
}

boost::json::value parse_json_text(std::string_view text, const read_limits& limits,
                                   boost::json::storage_ptr storage) {
  return parse_into(text, limits, std::move(storage));
}

request detail::read_request_tree(std::string_view body, const read_limits& limits) {
  // The parsed tree only lives while it is read into the typed request: an arena (first 4 KiB on the stack)
  // replaces hundreds of small allocations with a few.
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  const boost::json::value v = parse_into(body, limits, &arena);
  return read_json<request>(v, limits);
}

request parse_request(std::string_view body, const read_limits& limits) {
  // One pass straight into the request; a body it does not take as is (usually an invalid one) is read again
  // through the tree, which names the problem exactly (detail/request_parser.hpp).
  if (auto r = detail::read_request_single_pass(body, limits)) return std::move(*r);
  return detail::read_request_tree(body, limits);
}

}  // namespace chatkit::protocol

using namespace chatkit::protocol;

CHATKIT_INSTANTIATE_CODEC(user_message_input)
CHATKIT_INSTANTIATE_CODEC(action)
CHATKIT_INSTANTIATE_CODEC(request)
CHATKIT_INSTANTIATE_CODEC(threads_create)
CHATKIT_INSTANTIATE_CODEC(threads_add_user_message)
CHATKIT_INSTANTIATE_CODEC(threads_add_client_tool_output)
CHATKIT_INSTANTIATE_CODEC(threads_add_structured_input)
CHATKIT_INSTANTIATE_CODEC(threads_custom_action)
CHATKIT_INSTANTIATE_CODEC(threads_retry_after_item)
CHATKIT_INSTANTIATE_CODEC(threads_sync_custom_action)
CHATKIT_INSTANTIATE_CODEC(threads_get_by_id)
CHATKIT_INSTANTIATE_CODEC(threads_list)
CHATKIT_INSTANTIATE_CODEC(threads_update)
CHATKIT_INSTANTIATE_CODEC(threads_delete)
CHATKIT_INSTANTIATE_CODEC(items_list)
CHATKIT_INSTANTIATE_CODEC(items_feedback)
CHATKIT_INSTANTIATE_CODEC(attachments_create)
CHATKIT_INSTANTIATE_CODEC(attachments_delete)
CHATKIT_INSTANTIATE_CODEC(input_transcribe)
