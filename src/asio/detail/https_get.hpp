// A small HTTPS client for one GET: what the library fetches besides the model (a JWKS document today).
// Certificates and host names are verified (OpenSSL, system store plus optional extra CAs, TLS 1.2 at
// least); plain http:// only to loopback hosts unless allowed; one deadline bounds resolve, connect,
// handshake and the whole answer; the body is bounded. No redirects, no proxy, no keep-alive: fetches are
// rare. It lives in the asio layer, under both the http and the openai layers, so either can use it.
// Private (tests: tests/unit/asio/https_get_test.cpp).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatkit::detail {

struct https_url {
  bool tls = true;
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // always set (443 / 80 by default)
  std::string target;  // path and query, at least "/"
};

// "https://host[:port][/path][?query]"; nullopt with `error` set for anything else (other schemes,
// user info, an empty host, a bad port).
std::optional<https_url> parse_https_url(std::string_view url, std::string& error);

// localhost, 127.0.0.0/8, ::1.
bool is_loopback_host(std::string_view host) noexcept;

struct https_get_options {
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};  // everything together
  std::size_t max_body_bytes = 1024 * 1024;
  bool allow_insecure_http = false;  // http:// to a host that is not loopback
  std::string extra_ca_pem;
  bool use_system_ca_store = true;
  std::string accept = "application/json";
};

struct https_get_response {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

// Every failure but cancellation: the message says what and where ("https://x/jwks: TLS handshake:
// certificate verify failed", "...: the answer is larger than 262144 bytes").
class https_get_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs on the calling coroutine's executor. Throws https_get_error, or boost::system::system_error
// (operation_aborted) when the caller is cancelled. Any status is returned (the caller decides).
boost::asio::awaitable<https_get_response> https_get(std::string url, https_get_options options);

}  // namespace chatkit::detail
