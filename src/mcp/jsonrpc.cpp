#include <chatkit/mcp/jsonrpc.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>

#include <limits>

namespace chatkit::mcp {

namespace json = boost::json;

namespace {

parse_failure invalid(std::string message, std::optional<request_id> id = std::nullopt) {
  return {rpc_error{rpc_code::invalid_request, std::move(message), std::nullopt}, std::move(id)};
}

// An id as JSON-RPC allows it here: a string or an integer (a number with a fraction is refused).
std::optional<request_id> read_id(const json::value& v) {
  if (v.is_string()) return request_id{std::string(v.get_string())};
  if (v.is_int64()) return request_id{v.get_int64()};
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return request_id{static_cast<std::int64_t>(v.get_uint64())};
  return std::nullopt;
}

// `params` / `result`: absent, or an object.
bool read_object(const json::object& o, std::string_view key, std::optional<json::object>& out) {
  auto it = o.find(key);
  if (it == o.end()) return true;
  if (!it->value().is_object()) return false;
  out = it->value().get_object();
  return true;
}

}  // namespace

json::value to_json(const request_id& id) {
  return std::visit([](const auto& v) { return json::value(v); }, id);
}

std::string to_string(const request_id& id) {
  if (const auto* n = std::get_if<std::int64_t>(&id)) return std::to_string(*n);
  return json::serialize(json::value(std::get<std::string>(id)));
}

parse_result parse_message(std::string_view text, const parse_limits& limits) {
  if (text.size() > limits.max_bytes)
    return invalid("message of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                   std::to_string(limits.max_bytes));
  json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec)
    return parse_failure{rpc_error{rpc_code::parse_error, "Parse error: " + ec.message(), std::nullopt}, {}};
  return parse_message(value);
}

parse_result parse_message(const json::value& value) {
  if (value.is_array()) return invalid("batches are not supported");
  if (!value.is_object()) return invalid("a message must be a JSON object");
  const json::object& o = value.get_object();

  // The id first, so that every later failure can still be matched to the request.
  std::optional<request_id> id;
  const json::value* raw_id = o.if_contains("id");
  if (raw_id != nullptr && !raw_id->is_null()) {
    id = read_id(*raw_id);
    if (!id) return invalid("\"id\" must be a string or an integer");
  }
  const json::value* version = o.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0")
    return invalid("\"jsonrpc\" must be \"2.0\"", id);

  if (const json::value* method = o.if_contains("method")) {
    if (!method->is_string()) return invalid("\"method\" must be a string", id);
    std::optional<json::object> params;
    if (!read_object(o, "params", params)) return invalid("\"params\" must be an object", id);
    if (raw_id == nullptr) return rpc_notification{std::string(method->get_string()), std::move(params)};
    if (!id) return invalid("a request id must not be null");
    return rpc_request{std::move(*id), std::string(method->get_string()), std::move(params)};
  }

  const json::value* result = o.if_contains("result");
  const json::value* error = o.if_contains("error");
  if ((result == nullptr) == (error == nullptr))
    return invalid("a message needs \"method\", or exactly one of \"result\" and \"error\"", id);
  if (result != nullptr) {
    if (!id) return invalid("a response needs an id");
    if (!result->is_object()) return invalid("\"result\" must be an object", id);
    return rpc_response{std::move(*id), result->get_object()};
  }
  if (!error->is_object()) return invalid("\"error\" must be an object", id);
  const json::object& e = error->get_object();
  const json::value* code = e.if_contains("code");
  const json::value* message = e.if_contains("message");
  if (code == nullptr || !code->is_int64() || code->get_int64() < std::numeric_limits<int>::min() ||
      code->get_int64() > std::numeric_limits<int>::max())
    return invalid("\"error.code\" must be an integer", id);
  if (message == nullptr || !message->is_string()) return invalid("\"error.message\" must be a string", id);
  rpc_error err{static_cast<int>(code->get_int64()), std::string(message->get_string()), std::nullopt};
  if (const json::value* data = e.if_contains("data")) err.data = *data;
  return rpc_error_response{std::move(id), std::move(err)};
}

json::object to_json(const rpc_message& message) {
  json::object o;
  o["jsonrpc"] = "2.0";
  struct visitor {
    json::object& o;
    void operator()(const rpc_request& r) const {
      o["id"] = mcp::to_json(r.id);
      o["method"] = r.method;
      if (r.params) o["params"] = *r.params;
    }
    void operator()(const rpc_notification& n) const {
      o["method"] = n.method;
      if (n.params) o["params"] = *n.params;
    }
    void operator()(const rpc_response& r) const {
      o["id"] = mcp::to_json(r.id);
      o["result"] = r.result;
    }
    void operator()(const rpc_error_response& r) const {
      o["id"] = r.id ? mcp::to_json(*r.id) : json::value(nullptr);
      json::object e{{"code", r.error.code}, {"message", r.error.message}};
      if (r.error.data) e["data"] = *r.error.data;
      o["error"] = std::move(e);
    }
  };
  std::visit(visitor{o}, message);
  return o;
}

std::string serialize(const rpc_message& message) {
  return json::serialize(to_json(message));
}

std::string_view method_of(const rpc_message& message) noexcept {
  if (const auto* r = std::get_if<rpc_request>(&message)) return r->method;
  if (const auto* n = std::get_if<rpc_notification>(&message)) return n->method;
  return {};
}

}  // namespace chatkit::mcp
