// The MCP Streamable HTTP transport, server side (docs/mcp.md#serving-over-http).
#include <chatkit/mcp/streamable_http.hpp>

#include <chatkit/error.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/log.hpp>

#include "http/detail/content_type.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace chatkit::mcp {

namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "host:port" / "[::1]:port" / "host" → the host part.
std::string_view host_part(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

bool is_loopback_host(std::string_view host) {
  return iequals(host, "localhost") || host == "127.0.0.1" || host == "[::1]";
}

// The media types of an Accept or Content-Type header, without parameters, lower-cased.
// The media types of a list header (Accept), each normalised as the ChatKit endpoint reads Content-Type.
std::vector<std::string> media_types(std::string_view header) {
  std::vector<std::string> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    if (auto type = http::detail::media_type(header.substr(0, comma)); !type.empty())
      out.push_back(std::move(type));
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

bool accepts(const std::vector<std::string>& types, std::string_view wanted) {
  const std::string_view major = wanted.substr(0, wanted.find('/'));
  return std::any_of(types.begin(), types.end(), [&](const std::string& t) {
    return t == wanted || t == "*/*" ||
           (t.size() == major.size() + 2 && t.starts_with(major) && t.ends_with("/*"));
  });
}

std::string error_body(int code, std::string_view message, const std::optional<request_id>& id = std::nullopt,
                       std::optional<json::value> data = std::nullopt) {
  return serialize(rpc_error_response{id, rpc_error{code, std::string(message), std::move(data)}});
}

http::response make(const http::request& req, bhttp::status status, std::string body,
                    std::string_view content_type = "application/json") {
  http::response res{status, req.version()};
  res.keep_alive(req.keep_alive());
  if (!body.empty()) res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::response rpc_failure(const http::request& req, bhttp::status status, int code, std::string_view message,
                           const std::optional<request_id>& id = std::nullopt,
                           std::optional<json::value> data = std::nullopt) {
  return make(req, status, error_body(code, message, id, std::move(data)));
}

// -32000: what the TypeScript SDK and others use for transport-level refusals.
constexpr int transport_refusal = -32000;

}  // namespace

http_handler::http_handler(std::shared_ptr<tool_server> tools, http_options options)
    : tools_(std::move(tools)), options_(std::move(options)) {
  if (!tools_) throw std::invalid_argument("mcp::http_handler: no tool_server");
  if (!options_.authenticate)
    throw std::invalid_argument("mcp::http_handler: options.authenticate is required");
}

asio::awaitable<http::response> http_handler::handle(http::request req) const {
  if (req.method() != bhttp::verb::post) {
    auto res = rpc_failure(req, bhttp::status::method_not_allowed, transport_refusal, "Method not allowed");
    res.set(bhttp::field::allow, "POST");
    co_return res;
  }
  // DNS rebinding: a page on evil.example resolved to 127.0.0.1 still says Host: evil.example.
  if (!options_.allowed_hosts.empty()) {
    const auto host_header = req[bhttp::field::host];
    if (!host_header.empty()) {
      const std::string_view host = host_part(host_header);
      const bool ok = std::any_of(options_.allowed_hosts.begin(), options_.allowed_hosts.end(),
                                  [&](const std::string& h) { return iequals(h, host); });
      if (!ok) co_return rpc_failure(req, bhttp::status::forbidden, transport_refusal, "Invalid Host");
    }
  }
  if (const auto origin = req[bhttp::field::origin]; !origin.empty()) {
    bool ok = std::any_of(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                          [&](const std::string& o) { return iequals(o, origin); });
    if (!ok && options_.allow_loopback_origins) {
      const auto scheme_end = origin.find("://");
      if (scheme_end != std::string_view::npos)
        ok = is_loopback_host(host_part(origin.substr(scheme_end + 3)));
    }
    if (!ok) co_return rpc_failure(req, bhttp::status::forbidden, transport_refusal, "Invalid Origin");
  }

  request_context caller;
  try {
    caller = co_await options_.authenticate(req);
  } catch (const chatkit::error& e) {
    if (e.code_value() == chatkit::errc::forbidden)
      co_return rpc_failure(req, bhttp::status::forbidden, transport_refusal, "Forbidden");
    if (e.code_value() != chatkit::errc::unauthorized) {
      co_return rpc_failure(req, bhttp::status::bad_request, transport_refusal, e.message());
    }
    auto res =
        rpc_failure(req, bhttp::status::unauthorized, transport_refusal, "Unauthorized: " + e.message());
    std::string challenge = "Bearer";
    if (!req[bhttp::field::authorization].empty()) challenge += " error=\"invalid_token\"";
    if (!options_.resource_metadata_url.empty())
      challenge += std::string(challenge == "Bearer" ? " " : ", ") + "resource_metadata=\"" +
                   options_.resource_metadata_url + "\"";
    res.set(bhttp::field::www_authenticate, challenge);
    co_return res;
  } catch (const std::exception& e) {
    chatkit::log::error("mcp", "authenticate failed", {{"error", e.what()}});
    co_return rpc_failure(req, bhttp::status::internal_server_error, rpc_code::internal_error,
                          "Internal error");
  }

  const auto content_types = media_types(req[bhttp::field::content_type]);
  if (content_types.empty() || content_types.front() != "application/json")
    co_return rpc_failure(req, bhttp::status::unsupported_media_type, transport_refusal,
                          "Unsupported Media Type: Content-Type must be application/json");
  if (const auto accept = req[bhttp::field::accept]; !accept.empty()) {
    const auto types = media_types(accept);
    if (!accepts(types, "application/json") || !accepts(types, "text/event-stream"))
      co_return rpc_failure(req, bhttp::status::not_acceptable, transport_refusal,
                            "Not Acceptable: Client must accept both application/json and text/event-stream");
  }
  if (req.body().size() > options_.max_body_bytes)
    co_return rpc_failure(
        req, bhttp::status::payload_too_large, rpc_code::invalid_request,
        "Message too large: the limit is " + std::to_string(options_.max_body_bytes) + " bytes");

  auto parsed = parse_message(req.body(), parse_limits{options_.max_body_bytes, 64});
  if (auto* failure = std::get_if<parse_failure>(&parsed))
    co_return make(req, bhttp::status::bad_request,
                   serialize(rpc_error_response{failure->id, failure->error}));
  rpc_message message = std::move(std::get<rpc_message>(parsed));

  server_session session(session_kind::stateless, "http:" + caller.user_id);
  auto* request = std::get_if<rpc_request>(&message);
  if (request == nullptr) {
    // A notification (notifications/cancelled reaches the caller's running calls) or a response.
    co_await tools_->handle(session, std::move(message), caller);
    co_return make(req, bhttp::status::accepted, {});
  }

  // Modern era: the headers must repeat what the body says (proxies route on them).
  const json::object* meta = nullptr;
  if (request->params)
    if (const json::value* m = request->params->if_contains("_meta"); m != nullptr && m->is_object())
      meta = &m->get_object();
  const json::value* envelope_version =
      meta != nullptr ? meta->if_contains(meta_key::protocol_version) : nullptr;
  const auto version_header = req["MCP-Protocol-Version"];
  const auto bad_header = [&](std::string message) {
    return rpc_failure(req, bhttp::status::bad_request, rpc_code::header_mismatch,
                       "Bad Request: the request headers and body disagree: " + message, request->id);
  };
  if (envelope_version != nullptr) {
    if (!envelope_version->is_string() || version_header != std::string_view(envelope_version->get_string()))
      co_return bad_header("MCP-Protocol-Version does not match the _meta protocol version");
    const auto method_header = req["Mcp-Method"];
    if (method_header.empty()) co_return bad_header("the required Mcp-Method header is absent");
    if (method_header != request->method) co_return bad_header("Mcp-Method does not match the method");
    if (request->method == "tools/call") {
      const json::value* name = request->params->if_contains("name");
      const auto name_header = req["Mcp-Name"];
      if (name_header.empty()) co_return bad_header("the required Mcp-Name header is absent");
      if (name == nullptr || !name->is_string() || name_header != std::string_view(name->get_string()))
        co_return bad_header("Mcp-Name does not match params.name");
    }
  } else if (!version_header.empty()) {
    if (version_header == modern_revision)
      co_return rpc_failure(req, bhttp::status::bad_request, rpc_code::invalid_params,
                            "Request is missing the required _meta envelope for protocol revision " +
                                std::string(modern_revision),
                            request->id);
    if (!is_legacy_revision(version_header))
      co_return rpc_failure(req, bhttp::status::bad_request, transport_refusal,
                            "Bad Request: Unsupported protocol version: " + std::string(version_header));
  }

  // Progress and log messages of the call are sent ahead of the response in one event-stream body.
  std::vector<std::string> notes;
  notification_sink sink = [&notes](rpc_notification n) -> asio::awaitable<void> {
    notes.push_back(serialize(n));
    co_return;
  };
  const bool modern = envelope_version != nullptr;
  auto reply = co_await tools_->handle(session, std::move(message), caller, sink);
  if (!reply) co_return make(req, bhttp::status::accepted, {});  // cancelled: no JSON-RPC response

  auto status = bhttp::status::ok;
  if (const auto* err = std::get_if<rpc_error_response>(&*reply); err != nullptr && modern) {
    if (err->error.code == rpc_code::method_not_found) status = bhttp::status::not_found;
    if (err->error.code == rpc_code::unsupported_protocol_version) status = bhttp::status::bad_request;
  }
  if (notes.empty()) co_return make(req, status, serialize(*reply));
  std::string body;
  for (const auto& n : notes) body += "event: message\ndata: " + n + "\n\n";
  body += "event: message\ndata: " + serialize(*reply) + "\n\n";
  auto res = make(req, status, std::move(body), "text/event-stream");
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("X-Accel-Buffering", "no");
  co_return res;
}

std::shared_ptr<http_handler> mount(http::server& server, std::shared_ptr<tool_server> tools,
                                    http_options options) {
  if (!options.authenticate) options.authenticate = server.chatkit_endpoint().options().authenticate;
  const std::string path = options.path;
  auto handler = std::make_shared<http_handler>(std::move(tools), std::move(options));
  server.add_route(path, [handler](http::request req) { return handler->handle(std::move(req)); });
  return handler;
}

}  // namespace chatkit::mcp
