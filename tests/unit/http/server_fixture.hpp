// A chatkit::http::server on 127.0.0.1 (ephemeral port) in front of a test_processor, with the access
// log captured for assertions; and host_server, a host's own accept loop on its own io_context for the tests
// that mount the endpoint themselves.
#pragma once

#include "test_client.hpp"
#include "test_processors.hpp"

#include <chatkit/http/endpoint.hpp>
#include <chatkit/http/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>

#include <functional>
#include <mutex>
#include <thread>

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

// Endpoint options for a host's own server: the dev header (X-User-Id) for identity, no access log.
inline endpoint_options host_endpoint_options() {
  endpoint_options o;
  o.authenticate = dev_header_auth("X-User-Id", /*quiet=*/true);
  o.access_log = [](const access_log_entry&) {};
  return o;
}

// A host's own server: accepts on 127.0.0.1 (ephemeral port) on its own io_context and thread, and runs
// `session(socket, ep)` for each connection — the host's way of reading requests and handing them to `ep`.
class host_server {
 public:
  using session_fn = boost::asio::awaitable<void> (*)(boost::asio::ip::tcp::socket, endpoint&);

  host_server(endpoint& ep, session_fn session)
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(ioc_, accept(acceptor_, ep, session), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~host_server() {
    boost::asio::post(ioc_, [this] { acceptor_.close(); });
    ioc_.stop();
    thread_.join();
  }
  host_server(const host_server&) = delete;
  host_server& operator=(const host_server&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  sync_client connect() const { return sync_client(port()); }

 private:
  static boost::asio::awaitable<void> accept(boost::asio::ip::tcp::acceptor& acc, endpoint& ep,
                                             session_fn session) {
    for (;;) {
      auto [ec, s] = co_await acc.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      boost::asio::co_spawn(acc.get_executor(), session(std::move(s), ep), boost::asio::detached);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

inline std::vector<std::string> as_user(const std::string& user, std::vector<std::string> extra = {}) {
  extra.push_back("X-User-Id: " + user);
  return extra;
}

}  // namespace chatkit::http::test
