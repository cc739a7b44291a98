#include "test_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <stdexcept>

namespace chatkit::http::test {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

std::string post(const std::string& path, const std::string& body, const std::vector<std::string>& extra) {
  std::string r = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  for (const auto& e : extra) r += e + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

std::string get(const std::string& path, const std::vector<std::string>& extra) {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& e : extra) r += e + "\r\n";
  return r + "\r\n";
}

client::client(asio::any_io_executor ex)
    : socket_(ex), on_chunk_([this](std::uint64_t size, boost::string_view, boost::beast::error_code&) {
        if (size > 0) ++chunks_;
      }) {
  reset_parser();
}

void client::reset_parser() {
  parser_ = std::make_unique<bhttp::response_parser<bhttp::string_body>>();
  parser_->body_limit(boost::none);
  chunks_ = 0;
  parser_->on_chunk_header(on_chunk_);
  consumed_ = 0;
}

asio::awaitable<void> client::connect(std::uint16_t port, std::string source) {
  if (!source.empty()) {
    socket_.open(asio::ip::tcp::v4());
    socket_.bind({asio::ip::make_address(source), 0});
  }
  co_await socket_.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  socket_.set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<void> client::write(std::string bytes) {
  co_await asio::async_write(socket_, asio::buffer(bytes), asio::use_awaitable);
}

asio::awaitable<head> client::read_head() {
  reset_parser();
  co_await bhttp::async_read_header(socket_, buffer_, *parser_, asio::use_awaitable);
  head_ = {};
  head_.status = static_cast<int>(parser_->get().result_int());
  for (const auto& f : parser_->get()) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto& slot = head_.headers[name];
    slot = slot.empty() ? std::string(f.value()) : slot + ", " + std::string(f.value());
  }
  co_return head_;
}

asio::awaitable<std::optional<std::string>> client::next_frame() {
  for (;;) {
    const std::string& body = parser_->get().body();
    auto end = body.find("\n\n", consumed_);
    if (end != std::string::npos) {
      std::string frame = body.substr(consumed_, end - consumed_);
      consumed_ = end + 2;
      co_return frame;
    }
    if (parser_->is_done()) co_return std::nullopt;
    auto [ec, n] =
        co_await bhttp::async_read_some(socket_, buffer_, *parser_, asio::as_tuple(asio::use_awaitable));
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof)
      co_return std::nullopt;  // HTTP/1.0 style end
    if (ec) throw boost::system::system_error(ec, "reading the event stream");
  }
}

asio::awaitable<full_response> client::read_response() {
  if (!parser_->is_header_done() || parser_->is_done()) co_await read_head();
  full_response r;
  static_cast<head&>(r) = head_;
  while (auto f = co_await next_frame()) r.frames.push_back(*f);
  r.body = parser_->get().body();
  r.chunks = chunks_;
  reset_parser();
  co_return r;
}

asio::awaitable<bool> client::peer_closed() {
  if (buffer_.size() > 0) co_return false;
  char byte = 0;
  auto [ec, n] =
      co_await socket_.async_read_some(asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
  co_return ec == asio::error::eof || ec == asio::error::connection_reset;
}

void client::shutdown_send() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void client::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> a, std::chrono::seconds watchdog) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(ioc, std::move(a), [&](std::exception_ptr e, T v) {
    done = true;
    error = e;
    if (!e) result = std::move(v);
  });
  ioc.restart();
  ioc.run_for(watchdog);
  if (!done) throw std::runtime_error("test client: no answer from the server (watchdog)");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

void run(asio::io_context& ioc, asio::awaitable<void> a, std::chrono::seconds watchdog) {
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(ioc, std::move(a), [&](std::exception_ptr e) {
    done = true;
    error = e;
  });
  ioc.restart();
  ioc.run_for(watchdog);
  if (!done) throw std::runtime_error("test client: no answer from the server (watchdog)");
  if (error) std::rethrow_exception(error);
}

template head run(asio::io_context&, asio::awaitable<head>, std::chrono::seconds);
template full_response run(asio::io_context&, asio::awaitable<full_response>, std::chrono::seconds);
template std::optional<std::string> run(asio::io_context&, asio::awaitable<std::optional<std::string>>,
                                        std::chrono::seconds);
template bool run(asio::io_context&, asio::awaitable<bool>, std::chrono::seconds);

sync_client::sync_client(std::uint16_t port, std::string source) : c_(ioc_.get_executor()) {
  run(ioc_, c_.connect(port, std::move(source)));
}
void sync_client::write(std::string bytes) {
  run(ioc_, c_.write(std::move(bytes)));
}
head sync_client::read_head() {
  return run(ioc_, c_.read_head());
}
std::optional<std::string> sync_client::next_frame() {
  return run(ioc_, c_.next_frame());
}
full_response sync_client::read_response() {
  return run(ioc_, c_.read_response());
}
bool sync_client::peer_closed() {
  return run(ioc_, c_.peer_closed());
}

}  // namespace chatkit::http::test
