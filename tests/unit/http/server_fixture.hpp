// A chatkit::http::server on 127.0.0.1 (ephemeral port) in front of a test_processor, with the access
// log captured for assertions.
#pragma once

#include "test_client.hpp"
#include "test_processors.hpp"

#include <chatkit/http/server.hpp>

#include <boost/json/parse.hpp>

#include <functional>
#include <mutex>

namespace chatkit::http::test {

inline boost::json::object json_of(const std::string& s) {
  return boost::json::parse(s).as_object();
}

// The `type` and `message` of a JSON error body.
inline std::string error_type(const full_response& r) {
  return std::string(json_of(r.body).at("error").as_object().at("type").as_string());
}
inline std::string error_message(const full_response& r) {
  return std::string(json_of(r.body).at("error").as_object().at("message").as_string());
}

struct logged {
  std::string method, path, user;
  int status = 0;
  std::size_t events = 0;
  bool cancelled = false;
};

struct server_fixture {
  std::shared_ptr<test_processor> proc = std::make_shared<test_processor>();
  std::mutex log_mu;
  std::vector<logged> log;
  flag log_written;
  std::unique_ptr<server> srv;

  explicit server_fixture(const std::function<void(server_options&)>& customize = {},
                          const std::function<void(server&)>& routes = {}) {
    server_options o;
    o.endpoint.authenticate = dev_header_auth("X-User-Id", /*quiet=*/true);
    o.endpoint.access_log = [this](const access_log_entry& e) {
      {
        std::lock_guard lock(log_mu);
        log.push_back({std::string(e.method), std::string(e.path), std::string(e.user), e.status, e.events,
                       e.cancelled});
      }
      log_written.set();
    };
    o.threads = 2;
    if (customize) customize(o);
    srv = std::make_unique<server>(proc, std::move(o));
    if (routes) routes(*srv);
    srv->start();
  }
  ~server_fixture() { srv->stop(std::chrono::seconds(2)); }

  std::uint16_t port() const { return srv->port(); }
  sync_client connect() const { return sync_client(port()); }

  std::vector<logged> log_copy() {
    std::lock_guard lock(log_mu);
    return log;
  }
};

inline std::vector<std::string> as_user(const std::string& user, std::vector<std::string> extra = {}) {
  extra.push_back("X-User-Id: " + user);
  return extra;
}

}  // namespace chatkit::http::test
