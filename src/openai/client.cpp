#include <chatkit/openai/client.hpp>
#include <chatkit/openai/json_text.hpp>
#include <chatkit/openai/responses_decoder.hpp>
#include <chatkit/openai/retry.hpp>

#include "openai/detail/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <random>

namespace chatkit::openai {

namespace net = boost::asio;
namespace http = boost::beast::http;
using detail::client_state;
using detail::http_exchange;
using detail::timeouts;

namespace {

constexpr std::size_t stream_buffer_size = 16 * 1024;
constexpr std::size_t max_json_body = 64u * 1024u * 1024u;

std::optional<std::string> from_env(const char* name) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return std::string(v);
  return std::nullopt;
}

double default_jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

api_error cancelled_error(const std::string& request_id = {}) {
  return api_error(errc::cancelled, "the operation was cancelled", request_id);
}

timeouts make_timeouts(const client_options& o, const request_options& r) {
  timeouts t;
  t.connect = o.connect_timeout;
  t.read = r.read_timeout.value_or(o.read_timeout);
  const auto total = r.total_timeout.value_or(o.total_timeout);
  if (total.count() > 0) t.deadline = std::chrono::steady_clock::now() + total;
  return t;
}

void apply_headers(http::request<http::string_body>& req, const header_overrides& headers) {
  for (const auto& h : headers) {
    if (h.value) {
      req.set(h.name, *h.value);
    } else {
      req.erase(h.name);
    }
  }
}

http::request<http::string_body> build_request(const detail::client_config& cfg, std::string_view path,
                                               boost::json::object body, bool stream,
                                               const request_options& ro) {
  http::request<http::string_body> req{http::verb::post, cfg.target.base_path + std::string(path), 11};
  const bool default_port = cfg.target.port == (cfg.target.tls ? "443" : "80");
  std::string host =
      cfg.target.host.find(':') != std::string::npos ? "[" + cfg.target.host + "]" : cfg.target.host;
  if (!default_port) host += ":" + cfg.target.port;
  req.set(http::field::host, host);
  req.set(http::field::authorization, "Bearer " + cfg.api_key);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, stream ? "text/event-stream" : "application/json");
  req.set(http::field::user_agent, cfg.options.user_agent);
  if (!cfg.organization.empty()) req.set("OpenAI-Organization", cfg.organization);
  if (!cfg.project.empty()) req.set("OpenAI-Project", cfg.project);
  apply_headers(req, cfg.extra_headers);
  apply_headers(req, ro.extra_headers);
  body["stream"] = stream;
  for (const auto& [k, v] : ro.extra_body) body[k] = v;
  req.body() = boost::json::serialize(body);
  req.prepare_payload();
  return req;
}

// Converts the operation_aborted that Asio raises when a cancelled coroutine starts another operation.
template <class F>
auto translate_cancellation(F&& f) -> decltype(f()) {
  try {
    co_return co_await f();
  } catch (const api_error&) {
    throw;
  } catch (const boost::system::system_error& e) {
    if (e.code() == net::error::operation_aborted) throw cancelled_error();
    throw;
  }
}

// One logical request with the retry policy of docs/openai-client.md#retries. Returns the exchange once a 2xx
// head arrived.
net::awaitable<http_exchange> execute(std::shared_ptr<client_state> state,
                                      http::request<http::string_body> req, timeouts t, int max_retries) {
  const auto& opts = state->config().options;
  for (int retries = 0;; ++retries) {
    std::optional<api_error> failure;
    std::optional<std::chrono::milliseconds> server_delay;
    bool retryable = false;
    int status = 0;
    try {
      auto x = co_await detail::send_request(*state, req, t);
      if (x.status >= 200 && x.status < 300) co_return x;
      // The error body comes back as JSON even for stream:true requests; read it fully.
      auto body = co_await detail::read_body_all(x, t, 1u << 20);
      detail::release(*state, x);
      error_details d;
      parse_error_body(body, d);
      d.status = x.status;
      d.request_id = x.request_id;
      d.headers = x.headers;
      d.body = std::move(body);
      server_delay = server_retry_delay(x.header("retry-after-ms"), x.header("retry-after"),
                                        std::chrono::system_clock::now());
      retryable = should_retry_status(x.status, x.header("x-should-retry"), server_delay);
      status = x.status;
      failure.emplace(errc_from_status(x.status), std::move(d));
    } catch (const api_error& e) {
      if (e.kind() == errc::cancelled) throw;
      // No usable response (connect, TLS, reset or timeout before the head): retry.
      retryable = e.kind() == errc::connection || e.kind() == errc::timeout;
      failure.emplace(e);
    }
    if (!retryable || retries >= max_retries) throw *failure;
    const auto delay = retry_delay(server_delay, retries, opts.jitter ? opts.jitter() : default_jitter());
    if (t.deadline != std::chrono::steady_clock::time_point::max() &&
        std::chrono::steady_clock::now() + delay >= t.deadline)
      throw *failure;  // sleeping would overrun the call's deadline
    if (opts.on_retry) opts.on_retry(retry_info{retries + 1, delay, status, failure->what()});
    net::steady_timer timer(state->executor(), delay);
    auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) throw cancelled_error();
  }
}

net::awaitable<std::string> read_json_body(client_state& state, http_exchange& x, const timeouts& t) {
  auto body = co_await detail::read_body_all(x, t, max_json_body);
  detail::release(state, x);
  co_return body;
}

boost::json::object parse_json_object(const std::string& body, const std::string& request_id) {
  boost::system::error_code ec;
  auto v =
      parse_json_text(body, ec);  // lone surrogate escapes accepted (docs/openai-client.md#lone-surrogates)
  if (ec || !v.is_object())
    throw api_error(errc::stream_protocol_error,
                    ec ? "response body is not valid JSON (" + ec.message() + ")"
                       : std::string("response body is JSON but not an object"),
                    request_id, body.substr(0, 1024));
  return std::move(v.get_object());
}

// What differs between the two APIs, keyed by the result type.
template <class Result>
struct api;

template <>
struct api<response> {
  static constexpr std::string_view path = "/responses";
  static constexpr std::string_view malformed = "malformed Response object";
  using decoder = responses_decoder;
  static auto parse(const boost::json::object& o) { return parse_response(o); }
  static void prepare_stream(boost::json::object&) {}
  static openai::decoder_options decoder_options(const client_options& o) {
    openai::decoder_options d;
    d.max_event_size = o.max_event_size;
    d.lenient_sequence = o.lenient_sequence_numbers;
    return d;
  }
};

template <>
struct api<chat_completion> {
  static constexpr std::string_view path = "/chat/completions";
  static constexpr std::string_view malformed = "malformed chat.completion";
  using decoder = chat_decoder;
  static auto parse(const boost::json::object& o) { return parse_chat_completion(o); }
  // Streaming asks for the usage chunk unless the caller chose otherwise.
  static void prepare_stream(boost::json::object& params) {
    if (!params.contains("stream_options")) params["stream_options"] = {{"include_usage", true}};
  }
  static std::size_t decoder_options(const client_options& o) { return o.max_event_size; }
};

// After the terminal event the body normally ends at once (the last chunk); read it so the connection
// can be reused, but never wait long for a server that keeps it open.
net::awaitable<void> drain(client_state& state, http_exchange& x, timeouts t) {
  if (x.released) co_return;
  t.read = std::min(t.read, std::chrono::milliseconds(1000));
  char tmp[4096];
  std::size_t total = 0;
  for (;;) {
    std::size_t n = 0;
    bool failed = false;
    try {
      n = co_await detail::read_body_some(x, tmp, sizeof tmp, t);
    } catch (const api_error&) {
      failed = true;
    }
    total += n;
    if (failed || total > 64 * 1024) {
      if (x.conn) x.conn->close();
      x.conn.reset();
      x.released = true;
      co_return;
    }
    if (n == 0) {
      detail::release(state, x);
      co_return;
    }
  }
}

// The I/O half of an event_stream; Decoder is responses_decoder or chat_decoder.
template <class Decoder>
struct stream_core {
  std::shared_ptr<client_state> state;
  http_exchange x;
  timeouts t;
  Decoder decoder;
  std::unique_ptr<char[]> buf = std::make_unique<char[]>(stream_buffer_size);
  bool body_ended = false;
  bool cancelled = false;
  bool finished = false;

  template <class... DecoderArgs>
  stream_core(std::shared_ptr<client_state> s, http_exchange ex, timeouts tt, DecoderArgs&&... args)
      : state(std::move(s)), x(std::move(ex)), t(tt), decoder(std::forward<DecoderArgs>(args)...) {
    decoder.set_request_id(x.request_id);
  }

  void close() noexcept {
    if (x.conn) x.conn->close();
    x.released = true;
  }

  template <class Event>
  net::awaitable<std::optional<Event>> next() {
    if (cancelled) throw cancelled_error(x.request_id);
    if (finished) co_return std::nullopt;
    // A cancellation emitted before this call (with throw_if_cancelled(false)) would not reach an
    // operation started after it: honour it here.
    auto cs = co_await net::this_coro::cancellation_state;
    if (cs.cancelled() != net::cancellation_type::none) {
      cancelled = finished = true;
      close();
      throw cancelled_error(x.request_id);
    }
    try {
      for (;;) {
        if (auto e = decoder.next()) co_return e;
        if (decoder.done()) {
          finished = true;
          co_await drain(*state, x, t);
          co_return std::nullopt;
        }
        if (body_ended) {
          finished = true;
          decoder.finish();  // throws stream_truncated unless the terminal event came
          co_return std::nullopt;
        }
        const auto n = co_await detail::read_body_some(x, buf.get(), stream_buffer_size, t);
        if (n == 0) {
          body_ended = true;
          detail::release(*state, x);
        } else {
          decoder.feed(std::string_view(buf.get(), n));
        }
      }
    } catch (const api_error& e) {
      finished = true;
      close();
      if (cancelled || e.kind() == errc::cancelled) {
        cancelled = true;  // later calls keep reporting the cancellation
        throw cancelled_error(x.request_id);
      }
      if (!e.request_id().empty() || x.request_id.empty()) throw;
      error_details d = e.details();
      d.request_id = x.request_id;
      throw api_error(e.kind(), std::move(d));
    } catch (const boost::system::system_error& e) {
      finished = true;
      close();
      if (e.code() == net::error::operation_aborted) {
        cancelled = true;
        throw cancelled_error(x.request_id);
      }
      throw;
    }
  }
};

}  // namespace

// ---- streams ---------------------------------------------------------------------------------------

template <class Event, class Result>
struct event_stream<Event, Result>::impl : stream_core<typename api<Result>::decoder> {
  using impl::stream_core::stream_core;
};

template <class Event, class Result>
event_stream<Event, Result>::event_stream(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
template <class Event, class Result>
event_stream<Event, Result>::event_stream(event_stream&&) noexcept = default;
template <class Event, class Result>
event_stream<Event, Result>& event_stream<Event, Result>::operator=(event_stream&&) noexcept = default;
template <class Event, class Result>
event_stream<Event, Result>::~event_stream() {
  if (impl_ && !impl_->x.released) impl_->close();
}
template <class Event, class Result>
net::awaitable<std::optional<Event>> event_stream<Event, Result>::next() {
  return impl_->template next<Event>();
}
template <class Event, class Result>
const Result& event_stream<Event, Result>::current() const noexcept {
  return impl_->decoder.accumulator().current();
}
template <class Event, class Result>
bool event_stream<Event, Result>::done() const noexcept {
  return impl_->decoder.done();
}
template <class Event, class Result>
const std::string& event_stream<Event, Result>::request_id() const noexcept {
  return impl_->x.request_id;
}
template <class Event, class Result>
const header_list& event_stream<Event, Result>::headers() const noexcept {
  return impl_->x.headers;
}
template <class Event, class Result>
void event_stream<Event, Result>::cancel() noexcept {
  impl_->cancelled = true;
  impl_->close();
}

template class event_stream<response_event, response>;
template class event_stream<chat_chunk, chat_completion>;

// ---- client ----------------------------------------------------------------------------------------

namespace {

// One call: the request through the retry loop, then `finish` on the exchange once a 2xx head arrived.
template <class T, class Finish>
net::awaitable<T> call(std::shared_ptr<client_state> state, std::string path, boost::json::object body,
                       bool stream, request_options opts, Finish finish) {
  co_return co_await translate_cancellation([&]() -> net::awaitable<T> {
    const auto t = make_timeouts(state->config().options, opts);
    auto req = build_request(state->config(), path, std::move(body), stream, opts);
    auto x = co_await execute(state, std::move(req), t,
                              opts.max_retries.value_or(state->config().options.max_retries));
    co_return co_await finish(state, std::move(x), t);
  });
}

// A non-streaming call: the body parsed into Result (response or chat_completion).
template <class Result>
net::awaitable<Result> create(std::shared_ptr<client_state> state, boost::json::object params,
                              request_options opts) {
  return call<Result>(
      std::move(state), std::string(api<Result>::path), std::move(params), false, std::move(opts),
      [](std::shared_ptr<client_state> s, http_exchange x, timeouts t) -> net::awaitable<Result> {
        auto text = co_await read_json_body(*s, x, t);
        auto parsed = api<Result>::parse(parse_json_object(text, x.request_id));
        if (!parsed)
          throw api_error(errc::stream_protocol_error, std::string(api<Result>::malformed), x.request_id,
                          text.substr(0, 1024));
        parsed->request_id = x.request_id;
        co_return std::move(*parsed);
      });
}

// A streaming call: the event stream over the response body.
template <class Event, class Result>
net::awaitable<event_stream<Event, Result>> open_stream(std::shared_ptr<client_state> state,
                                                        boost::json::object params, request_options opts) {
  api<Result>::prepare_stream(params);
  return call<event_stream<Event, Result>>(
      std::move(state), std::string(api<Result>::path), std::move(params), true, std::move(opts),
      [](std::shared_ptr<client_state> s, http_exchange x,
         timeouts t) -> net::awaitable<event_stream<Event, Result>> {
        const auto arg = api<Result>::decoder_options(s->config().options);
        co_return event_stream<Event, Result>(
            std::make_unique<typename event_stream<Event, Result>::impl>(std::move(s), std::move(x), t, arg));
      });
}

}  // namespace

client::client(net::any_io_executor ex, client_options opts) {
  detail::client_config cfg;
  cfg.api_key = opts.api_key ? *opts.api_key : from_env("OPENAI_API_KEY").value_or("");
  if (cfg.api_key.empty())
    throw api_error(errc::invalid_argument, "no API key: set client_options::api_key or OPENAI_API_KEY");
  base_url_ =
      opts.base_url ? *opts.base_url : from_env("OPENAI_BASE_URL").value_or("https://api.openai.com/v1");
  auto target = detail::parse_api_url(base_url_);
  if (!target) throw api_error(errc::invalid_argument, "invalid base URL: " + base_url_);
  if (!target->tls && !opts.allow_insecure_http && !detail::is_loopback_host(target->host))
    throw api_error(
        errc::invalid_argument,
        "refusing http:// base URL " + base_url_ +
            ": the API key would travel in cleartext to a non-loopback host (use https://, or set "
            "client_options::allow_insecure_http)");
  cfg.target = std::move(*target);
  auto proxy = detail::select_proxy(cfg.target, opts.proxy);
  if (!proxy) throw api_error(errc::invalid_argument, "invalid proxy URL");
  cfg.proxy = std::move(*proxy);
  cfg.organization = opts.organization ? *opts.organization : from_env("OPENAI_ORG_ID").value_or("");
  cfg.project = opts.project ? *opts.project : from_env("OPENAI_PROJECT_ID").value_or("");
  cfg.extra_headers = opts.extra_headers;
  if (opts.max_retries < 0) opts.max_retries = 0;
  cfg.options = std::move(opts);
  state_ = std::make_shared<client_state>(std::move(ex), std::move(cfg));
}

net::any_io_executor client::get_executor() const {
  return state_->executor();
}
const std::string& client::base_url() const noexcept {
  return base_url_;
}

net::awaitable<boost::json::value> client::post(std::string_view path, boost::json::object body,
                                                request_options opts) const {
  return call<boost::json::value>(
      state_, std::string(path), std::move(body), false, std::move(opts),
      [](std::shared_ptr<client_state> s, http_exchange x, timeouts t) -> net::awaitable<boost::json::value> {
        auto text = co_await read_json_body(*s, x, t);
        co_return boost::json::value(parse_json_object(text, x.request_id));
      });
}

net::awaitable<response> client::create_response(boost::json::object params, request_options opts) const {
  return create<response>(state_, std::move(params), std::move(opts));
}

net::awaitable<responses_stream> client::stream_response(boost::json::object params,
                                                         request_options opts) const {
  return open_stream<response_event, response>(state_, std::move(params), std::move(opts));
}

net::awaitable<chat_completion> client::create_chat_completion(boost::json::object params,
                                                               request_options opts) const {
  return create<chat_completion>(state_, std::move(params), std::move(opts));
}

net::awaitable<chat_stream> client::stream_chat_completion(boost::json::object params,
                                                           request_options opts) const {
  return open_stream<chat_chunk, chat_completion>(state_, std::move(params), std::move(opts));
}

}  // namespace chatkit::openai
