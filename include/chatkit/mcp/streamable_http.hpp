// The MCP Streamable HTTP transport, server side (docs/mcp.md#serving-over-http): a route of
// chatkit::http::server beside /chatkit that answers MCP POSTs with a tool_server.
//
//   chatkit::http::server srv(bot, {.endpoint = {.authenticate = jwt_bearer_auth(verifier)}});
//   mcp::mount(srv, tools, {.path = "/mcp"});     // same authentication as the ChatKit endpoint
//   srv.start();
//
// Stateless in both eras: no Mcp-Session-Id is issued, `initialize` is answered and pins nothing, every POST
// stands alone (GET and DELETE are 405). Each request is authenticated; the request_context it yields is the
// caller of the tools, so bound parameters (user_id) come from the credentials.
#pragma once

#include <chatkit/http/auth.hpp>
#include <chatkit/http/message.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/mcp/tool_server.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace chatkit::mcp {

struct http_options {
  std::string path = "/mcp";
  // Who is asking; empty: the ChatKit endpoint's authenticate function (mount) — required otherwise. A
  // request it refuses is answered 401 with `WWW-Authenticate: Bearer`.
  // A plain function or a coroutine (http::authenticator).
  http::authenticator authenticate;
  // Browser origins allowed to call (scheme://host[:port], compared case-insensitively). A request without
  // an Origin header (a non-browser client) is allowed; any other Origin is answered 403.
  std::vector<std::string> allowed_origins;
  // Also allow origins whose host is localhost, 127.0.0.1 or [::1] (any port).
  bool allow_loopback_origins = true;
  // Host header names accepted (without port; compared case-insensitively), against DNS rebinding of a
  // server bound to loopback. Empty: no Host check (a server behind a proxy on a public name).
  std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  // Larger bodies are answered 413 (the http::server's own max_body_bytes applies first).
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  // Added to WWW-Authenticate as resource_metadata="..." when not empty (OAuth protected-resource metadata).
  std::string resource_metadata_url;
};

// Answers one HTTP request with a tool_server. Usable from any HTTP stack that produces Beast requests.
class http_handler {
 public:
  // Throws std::invalid_argument when options.authenticate is empty.
  http_handler(std::shared_ptr<tool_server> tools, http_options options);

  boost::asio::awaitable<http::response> handle(http::request req) const;

  const http_options& options() const noexcept { return options_; }

 private:
  std::shared_ptr<tool_server> tools_;
  http_options options_;
};

// Adds the MCP route to `server` (before start()). An empty options.authenticate takes the ChatKit
// endpoint's. Returns the handler (shared with the route).
std::shared_ptr<http_handler> mount(http::server& server, std::shared_ptr<tool_server> tools,
                                    http_options options = {});

}  // namespace chatkit::mcp
