// GCC 12 at -O3 misreports Asio's recycled coroutine-frame allocator (operator new paired with its own
// aligned free) as -Wmismatched-new-delete; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "http/detail/exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>

#include <chatkit/log.hpp>
#include <chatkit/metrics.hpp>
#include <chatkit/server/answer_buffers.hpp>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace chatkit::http::detail {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

std::string_view field(const request& req, bhttp::field f) {
  auto v = req[f];
  return {v.data(), v.size()};
}

}  // namespace

failure classify(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const chatkit::error& e) {
    std::string msg = e.message();
    // The wire contract wants the offending JSON path named in a 400's message.
    if (!e.path().empty() && msg.find(e.path()) == std::string::npos) msg = e.path() + ": " + msg;
    if (e.code_value() == errc::internal) chatkit::log::error("http", "internal error", {{"error", msg}});
    return {e.code_value(), std::move(msg)};
  } catch (const boost::system::system_error& e) {
    if (e.code().category() == error_category())
      return {static_cast<errc>(e.code().value()), e.code().message()};
    chatkit::log::error("http", "internal error", {{"error", e.what()}});
  } catch (const std::exception& e) {
    chatkit::log::error("http", "internal error", {{"error", e.what()}});
  } catch (...) {
    chatkit::log::error("http", "internal error", {{"error", "unknown exception"}});
  }
  return {errc::internal, {}};
}

exchange::exchange(const endpoint_options& opts, const cors_policy* policy, stream_ref s, const request& req)
    : options(opts),
      cors(policy),
      stream(s),
      method(req.method_string()),
      path(target_path(std::string_view(req.target().data(), req.target().size()))),
      version(req.version()),
      keep_alive(req.keep_alive()) {
  if (cors) cors_headers = cors->response_headers(field(req, bhttp::field::origin));
}

std::optional<response> exchange::preflight(const request& req) {
  const auto origin = field(req, bhttp::field::origin);
  const auto requested_method = field(req, bhttp::field::access_control_request_method);
  if (!cors || !cors_policy::is_preflight(req.method_string(), origin, requested_method)) return std::nullopt;
  auto pre =
      cors->preflight(origin, requested_method, field(req, bhttp::field::access_control_request_headers));
  response res{static_cast<bhttp::status>(pre.status), version};
  for (const auto& f : pre.headers) res.insert(f.name, f.value);
  cors_headers.clear();
  return res;
}

void exchange::log(int status, std::size_t events, bool cancelled) const {
  metrics::count_http_response(status);
  if (!options.access_log) return;
  access_log_entry e;
  e.method = method;
  e.path = path;
  e.status = status;
  e.user = user;
  e.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  e.events = events;
  e.cancelled = cancelled;
  options.access_log(e);
}

asio::awaitable<bool> exchange::send(response res) {
  for (const auto& f : cors_headers) res.insert(f.name, f.value);
  res.version(version);
  // A route handler may ask to close the connection; it never reopens one the client wants closed.
  const bool handler_closes = bhttp::token_list(res[bhttp::field::connection]).exists("close");
  res.keep_alive(keep_alive && !handler_closes);
  if (!res.has_content_length() && !res.chunked()) res.prepare_payload();  // a 403 preflight needs "0"
  const int status = static_cast<int>(res.result_int());
  stream.expires_after(options.limits.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  stream.expires_never();
  log(status, 0, false);
  co_return !ec && res.keep_alive();
}

asio::awaitable<bool> exchange::send_json(std::string body) {
  // The head is assembled in the coroutine's frame (recycled by Asio) when it fits, as it does unless many
  // CORS headers are sent: no allocation per answer for it.
  std::array<char, 256> frame_head;
  std::size_t frame_len = 0;
  std::string heap_head;
  bool in_frame = true;
  const auto put = [&](std::string_view s) {
    if (in_frame && frame_len + s.size() <= frame_head.size()) {
      std::memcpy(frame_head.data() + frame_len, s.data(), s.size());
      frame_len += s.size();
      return;
    }
    if (in_frame) {
      heap_head.assign(frame_head.data(), frame_len);
      in_frame = false;
    }
    heap_head.append(s);
  };
  put(version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n");
  put("Content-Type: application/json\r\n");
  // As Beast's keep_alive(): HTTP/1.0 keeps the connection only when asked, HTTP/1.1 unless told otherwise.
  if (version == 10 && keep_alive) put("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) put("Connection: close\r\n");
  put("Content-Length: ");
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, body.size());
  put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
  put("\r\n");
  for (const auto& f : cors_headers) {
    put(f.name);
    put(": ");
    put(f.value);
    put("\r\n");
  }
  put("\r\n");
  const auto head = in_frame ? asio::buffer(frame_head.data(), frame_len) : asio::buffer(heap_head);
  const std::array<asio::const_buffer, 2> buffers{head, asio::buffer(body)};
  stream.expires_after(options.limits.write_timeout);
  auto [ec, n] = co_await asio::async_write(stream, buffers, asio::as_tuple(asio::use_awaitable));
  stream.expires_never();
  server::recycle_answer_buffer(std::move(body));
  log(200, 0, false);
  co_return !ec && keep_alive;
}

asio::awaitable<bool> exchange::send_error(errc code, std::string_view message) {
  return send(make_error_response(code, message, version, keep_alive));
}

asio::awaitable<bool> exchange::send_failure(const std::exception_ptr& error) {
  auto f = classify(error);
  return send_error(f.code, f.message);
}

}  // namespace chatkit::http::detail
