// The echo bot compiled with <chatkit/src.hpp> (chatkit_src.cpp), served on 127.0.0.1 by
// chatkit::http::server, and one threads.create request sent to it over a plain socket; prints the streamed
// events' types and the answer.
#include "echo_bot.hpp"

#include <chatkit/http/auth.hpp>
#include <chatkit/http/server.hpp>
#include <chatkit/store/memory_store.hpp>
#include <chatkit/version.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace json = boost::json;

int main() {
  auto bot = std::make_shared<chatkit::examples::echo_bot>(
      std::make_shared<chatkit::store::memory_store>(),
      std::make_shared<chatkit::examples::echo_attachment_store>());
  chatkit::http::server_options options;
  options.endpoint.authenticate = chatkit::http::dev_header_auth("X-User-Id", true);
  chatkit::http::server server(bot, std::move(options));
  server.start();

  const json::object input{{"content", json::array{{{"type", "input_text"}, {"text", "hello"}}}},
                           {"attachments", json::array{}},
                           {"inference_options", json::object{}}};
  const std::string body =
      json::serialize(json::object{{"type", "threads.create"}, {"params", {{"input", input}}}});
  const std::string request =
      "POST /chatkit HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User-Id: alice\r\n"
      "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;

  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  asio::write(socket, asio::buffer(request));
  std::string reply;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(reply), ec);  // until the server closes the connection
  server.stop();

  std::printf("header-only chatkit-cpp %s: %s\n", chatkit::version_string,
              reply.substr(0, reply.find('\r')).c_str());
  const std::size_t head_end = reply.find("\r\n\r\n");
  if (head_end == std::string::npos) return 1;
  std::string sse = reply.substr(head_end + 4);
  if (reply.substr(0, head_end).find("chunked") != std::string::npos) {  // Transfer-Encoding: chunked
    std::string joined;
    for (std::size_t at = 0;;) {
      const std::size_t line_end = sse.find("\r\n", at);
      if (line_end == std::string::npos) return 1;
      const std::size_t size = std::stoul(sse.substr(at, line_end - at), nullptr, 16);
      if (size == 0) break;
      joined += sse.substr(line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
    sse = std::move(joined);
  }
  std::string text;
  for (std::size_t at = sse.find("data: "); at != std::string::npos; at = sse.find("data: ", at)) {
    const std::size_t end = sse.find("\n\n", at);
    const json::object event = json::parse(sse.substr(at + 6, end - at - 6)).as_object();
    const std::string type(event.at("type").as_string());
    std::printf("event: %s\n", type.c_str());
    if (type == "thread.item.updated") {
      const auto& update = event.at("update").as_object();
      if (const auto* delta = update.if_contains("delta")) text += json::value_to<std::string>(*delta);
    }
    at = end;
  }
  std::printf("answer: %s\n", text.c_str());
  return 0;
}
