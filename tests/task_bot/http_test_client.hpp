// Blocking HTTP helpers for the task bot tests over real sockets on 127.0.0.1: one request and its whole
// response, and an SSE reader collecting a stream in the background.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace task_bot_test {

struct http_reply {
  int status = 0;
  std::string head;
  std::string body;
  boost::json::value json() const { return boost::json::parse(body); }
  bool has_header(const std::string& line) const { return head.find(line) != std::string::npos; }
};

inline std::string request_text(const std::string& method, const std::string& target, const std::string& body,
                                const std::string& token, const std::string& extra_headers = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty()) r += "Content-Type: application/json\r\n";
  r += extra_headers;
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

inline http_reply parse_reply(const std::string& raw) {
  http_reply r;
  const auto end = raw.find("\r\n\r\n");
  r.head = raw.substr(0, end);
  r.body = end == std::string::npos ? std::string{} : raw.substr(end + 4);
  if (raw.size() > 12) r.status = std::stoi(raw.substr(9, 3));
  return r;
}

// One request with Connection: close; the response read to the end.
inline http_reply http_call(std::uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = {}, const std::string& token = {},
                            const std::string& extra_headers = {}) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(s, boost::asio::buffer(request_text(method, target, body, token, extra_headers)));
  std::string out;
  boost::system::error_code ec;
  boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);
  return parse_reply(out);
}

// Opens GET `target` and collects everything the server sends until the object is destroyed.
class sse_reader {
 public:
  sse_reader(std::uint16_t port, const std::string& target, const std::string& token) : socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(socket_, boost::asio::buffer(request_text("GET", target, {}, token)));
    thread_ = std::thread([this] {
      char buf[4096];
      for (;;) {
        boost::system::error_code ec;
        const auto n = socket_.read_some(boost::asio::buffer(buf), ec);
        std::lock_guard lock(mutex_);
        if (ec) {
          ended_ = true;
          cv_.notify_all();
          return;
        }
        received_.append(buf, n);
        cv_.notify_all();
      }
    });
  }
  ~sse_reader() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    thread_.join();
  }

  // Waits until the received text contains `needle` (true) or the timeout passes (false).
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return received_.find(needle) != std::string::npos; });
  }
  bool wait_for_end(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }
  std::string received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string received_;
  bool ended_ = false;
};

}  // namespace task_bot_test
