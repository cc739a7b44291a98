// GET /healthz and GET /metrics (docs/guide-operations.md#health-and-metrics).
#include <chatkit/http/error.hpp>
#include <chatkit/http/operations.hpp>
#include <chatkit/metrics.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

namespace chatkit::http {
namespace bhttp = boost::beast::http;

namespace {

// Equal strings, in a time that depends only on their lengths (a token is not guessed byte by byte).
bool same_secret(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::string_view& s = a.size() == b.size() ? b : a;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ s[i]);
  return diff == 0;
}

std::string_view bearer_token(const request& req) {
  const auto h = req[bhttp::field::authorization];
  const std::string_view v(h.data(), h.size());
  constexpr std::string_view scheme = "bearer ";
  if (v.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = v[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return {};
  }
  return v.substr(scheme.size());
}

void require_get(const request& req) {
  if (req.method() != bhttp::verb::get) throw error(errc::method_not_allowed, "use GET");
}

}  // namespace

std::function<boost::asio::awaitable<response>(request)> healthz_handler() {
  return [](request req) -> boost::asio::awaitable<response> {
    require_get(req);
    response res = make_json_response(R"({"status":"ok"})", req.version(), req.keep_alive());
    res.set(bhttp::field::cache_control, "no-store");
    co_return res;
  };
}

std::function<boost::asio::awaitable<response>(request)> metrics_handler(std::string token) {
  return [token = std::move(token)](request req) -> boost::asio::awaitable<response> {
    require_get(req);
    if (!token.empty() && !same_secret(bearer_token(req), token)) {
      response res = make_error_response(errc::unauthorized, "metrics need a bearer token", req.version(),
                                         req.keep_alive());
      res.set(bhttp::field::www_authenticate, "Bearer");
      co_return res;
    }
    response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, metrics::prometheus_content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = metrics::render_prometheus();
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_return res;
  };
}

}  // namespace chatkit::http
