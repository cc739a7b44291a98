// Health and metrics endpoints for operations (docs/guide-operations.md#health-and-metrics).
// chatkit::http::server adds them when server_options::operations enables them; a host with its own Beast
// server mounts the same handlers (or serves chatkit::metrics::render_prometheus() itself).
//
//   opts.operations = {.healthz = true, .metrics = true, .metrics_token = std::getenv("METRICS_TOKEN")};
#pragma once

#include <chatkit/http/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace chatkit::http {

struct operations_options {
  // GET healthz_path answers 200 {"status":"ok"} while the server accepts requests. No authentication: it
  // tells nothing but that the process serves HTTP.
  bool healthz = false;
  std::string healthz_path = "/healthz";
  // GET metrics_path answers the SDK's metrics in the Prometheus text format (chatkit/metrics.hpp).
  bool metrics = false;
  std::string metrics_path = "/metrics";
  // When not empty, /metrics requires "Authorization: Bearer <metrics_token>" (401 otherwise). When empty,
  // anyone who reaches the port reads the metrics (counts and latencies, never user ids): keep the port
  // private, or let the reverse proxy refuse the path.
  std::string metrics_token;
};

// The handler of GET /healthz: 200 {"status":"ok"}; other methods 405.
std::function<boost::asio::awaitable<response>(request)> healthz_handler();
// The handler of GET /metrics: chatkit::metrics::render_prometheus() as text/plain; version=0.0.4; other
// methods 405; a missing or wrong bearer token 401 when `token` is not empty (compared in constant time).
std::function<boost::asio::awaitable<response>(request)> metrics_handler(std::string token = {});

}  // namespace chatkit::http
