#include "openai/detail/api_url.hpp"
#include <chatkit/openai/error.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace chatkit::openai::detail {

namespace {

boost::system::error_code invalid() {
  return make_error_code(errc::invalid_argument);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

const char* env(const char* a, const char* b) {
  if (const char* v = std::getenv(a); v != nullptr && *v != '\0') return v;
  if (const char* v = std::getenv(b); v != nullptr && *v != '\0') return v;
  return nullptr;
}

std::string host_of(const boost::urls::url_view& u) {
  if (u.host_type() == boost::urls::host_type::ipv6) return u.host_ipv6_address().to_string();
  return u.host();
}

}  // namespace

boost::system::result<api_url> parse_api_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return invalid();
  const auto& u = *parsed;
  api_url ep;
  const auto scheme = lower(u.scheme());
  if (scheme == "https") {
    ep.tls = true;
  } else if (scheme != "http") {
    return invalid();
  }
  ep.host = host_of(u);
  if (ep.host.empty()) return invalid();
  ep.port = u.has_port() ? std::string(u.port()) : (ep.tls ? "443" : "80");
  ep.base_path = std::string(u.encoded_path());
  while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  return ep;
}

boost::system::result<proxy_url> parse_proxy_url(std::string_view url) {
  std::string text = trim(url);
  if (text.find("://") == std::string::npos) text = "http://" + text;
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return invalid();
  const auto& u = *parsed;
  if (lower(u.scheme()) != "http") return invalid();  // TLS to the proxy itself is not supported
  proxy_url p;
  p.host = host_of(u);
  if (p.host.empty()) return invalid();
  p.port = u.has_port() ? std::string(u.port()) : "80";
  if (u.has_userinfo()) {
    const std::string creds = u.user() + ":" + u.password();
    std::string encoded(boost::beast::detail::base64::encoded_size(creds.size()), '\0');
    encoded.resize(boost::beast::detail::base64::encode(encoded.data(), creds.data(), creds.size()));
    p.authorization = "Basic " + encoded;
  }
  return p;
}

bool is_ip_literal(std::string_view host) noexcept {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

bool is_loopback_host(std::string_view host) noexcept {
  if (lower(host) == "localhost") return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

bool no_proxy_matches(std::string_view host, std::string_view port, std::string_view no_proxy) {
  const std::string h = lower(host);
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    std::size_t comma = no_proxy.find(',', start);
    if (comma == std::string_view::npos) comma = no_proxy.size();
    std::string entry = lower(trim(no_proxy.substr(start, comma - start)));
    start = comma + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // An optional ":port" (not for bare IPv6 literals, which contain several colons).
    if (auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(':') == colon) {
      if (entry.substr(colon + 1) != port) continue;
      entry.resize(colon);
    }
    if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (h == entry) return true;
    if (h.size() > entry.size() && h.ends_with(entry) && h[h.size() - entry.size() - 1] == '.') return true;
  }
  return false;
}

boost::system::result<std::optional<proxy_url>> select_proxy(
    const api_url& target, const std::optional<std::string>& explicit_proxy) {
  if (explicit_proxy) {
    if (explicit_proxy->empty() || !target.tls) return std::optional<proxy_url>();
    auto p = parse_proxy_url(*explicit_proxy);
    if (!p) return p.error();
    return std::optional<proxy_url>(std::move(*p));
  }
  if (!target.tls || is_loopback_host(target.host)) return std::optional<proxy_url>();
  const char* proxy = env("HTTPS_PROXY", "https_proxy");
  if (proxy == nullptr) return std::optional<proxy_url>();
  if (const char* no = env("NO_PROXY", "no_proxy");
      no != nullptr && no_proxy_matches(target.host, target.port, no))
    return std::optional<proxy_url>();
  auto p = parse_proxy_url(proxy);
  if (!p) return p.error();
  return std::optional<proxy_url>(std::move(*p));
}

}  // namespace chatkit::openai::detail
