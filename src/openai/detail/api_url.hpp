// Where the client sends its requests: the parsed base URL (scheme, host, port, path prefix) and the
// HTTP CONNECT proxy chosen for it from client_options::proxy or the environment. Private to the
// openai layer (tested by tests/unit/openai/api_url_test.cpp).
#pragma once

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace chatkit::openai::detail {

// The parsed client_options::base_url every request path is appended to.
struct api_url {
  bool tls = false;
  std::string host;       // without brackets for IPv6 literals
  std::string port;       // always set (443 / 80 by default)
  std::string base_path;  // "/v1" (no trailing slash, may be empty)
};

// "https://api.openai.com/v1" -> {tls, "api.openai.com", "443", "/v1"}. Only http and https.
boost::system::result<api_url> parse_api_url(std::string_view url);

// An HTTP proxy reached with CONNECT.
struct proxy_url {
  std::string host;
  std::string port;
  std::string authorization;  // "Basic ..." when the URL carried user:password, else empty
};

// "http://[user:pass@]host:port" (a bare "host:port" is accepted too).
boost::system::result<proxy_url> parse_proxy_url(std::string_view url);

// NO_PROXY matching: comma-separated entries; "*" matches everything; "example.com" and ".example.com"
// match the host and its subdomains; an entry may carry ":port"; IP literals match exactly.
bool no_proxy_matches(std::string_view host, std::string_view port, std::string_view no_proxy);

bool is_loopback_host(std::string_view host) noexcept;
bool is_ip_literal(std::string_view host) noexcept;

// The proxy to use for `target`: an explicit setting ("" = none) wins; otherwise HTTPS_PROXY /
// https_proxy for TLS targets, unless NO_PROXY matches or the host is loopback.
boost::system::result<std::optional<proxy_url>> select_proxy(
    const api_url& target, const std::optional<std::string>& explicit_proxy);

}  // namespace chatkit::openai::detail
