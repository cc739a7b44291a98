// A scripted OpenAI-compatible HTTP/1.1 server for tests
// (docs/openai-client.md#testing-against-the-scripted-server).
//
// It listens on 127.0.0.1 (ephemeral port), over plain TCP or TLS, on its own thread. Each request it
// receives is recorded and answered with the next scripted exchange: head exactly as scripted, body
// written by a write plan (whole / one write per SSE event / k-byte pieces, optional pauses), then
// finished, closed, aborted without the last chunk, or left hanging. Requests beyond the script get
// a 599. Link the `chatkit_openai_testing` target to use it.
//
//   chatkit::openai::testing::scripted_server server;
//   server.add(exchange::sse(read_fixture("T1_text.sse"), "req_t1"));
//   client_options o; o.base_url = server.base_url(); o.api_key = "test-key";
#pragma once

#include <chatkit/openai/client_options.hpp>
#include <chatkit/openai/error.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::openai::testing {

struct write_plan {
  enum class kind { whole, per_event, split_every };
  kind mode = kind::whole;
  std::size_t every = 1;               // split_every: bytes per write
  std::chrono::milliseconds pause{0};  // sleep between two writes

  static write_plan whole() { return {}; }
  static write_plan per_event() { return {kind::per_event, 1, {}}; }
  static write_plan split_every(std::size_t k) { return {kind::split_every, k, {}}; }
  write_plan with_pause(std::chrono::milliseconds p) const {
    auto copy = *this;
    copy.pause = p;
    return copy;
  }
};

enum class ending {
  finish,      // terminating chunk (chunked) and keep the connection open for the next request
  close,       // finish, then close the socket
  abort,       // close the socket at once: no terminating chunk (a truncated body)
  reset,       // like abort, but the close sends a TCP reset (SO_LINGER 0): the client reads ECONNRESET
  hang,        // write nothing more and wait for the client to go away (timeouts, cancellation)
  half_close,  // finish, then shut down the sending side only and discard what arrives until the client
               // closes, as a server doing a lingering close: the client's next write still succeeds
};

struct exchange {
  int status = 200;
  std::string reason = "OK";
  header_list headers;  // written as given, after the status line
  std::string body;
  bool chunked = true;  // Transfer-Encoding: chunked; false = Content-Length (or none with ending::close)
  bool content_length = true;  // for chunked == false: send Content-Length (false: body delimited by close)
  write_plan plan;
  ending end = ending::finish;

  // The usual SSE response head (200, text/event-stream, chunked) with x-request-id.
  static exchange sse(std::string body, std::string request_id, write_plan plan = write_plan::per_event());
  // A JSON response with Content-Length (error fixtures and non-streaming answers).
  static exchange json(int status, std::string body, header_list extra_headers = {});
};

// How frame_sse() writes SSE: the framing variants real servers use.
struct sse_framing {
  std::string line_end = "\n";   // "\r\n" or "\r" too
  bool comments = false;         // a ": keep-alive" comment before every event
  bool fields = false;           // `event:`, `id:` and `retry:` lines in every event
  bool multi_line_data = false;  // each JSON payload over three `data:` lines (joined with LF: still JSON)
  bool done = true;              // end with `data: [DONE]`
};

// The SSE body carrying `payloads` (one JSON text each) framed as `f` says.
std::string frame_sse(const std::vector<std::string>& payloads, const sse_framing& f = {});

struct recorded_request {
  std::string method;
  std::string target;
  header_list headers;
  std::string body;
  std::chrono::steady_clock::time_point received;

  std::string header(std::string_view name) const;  // "" when absent (case-insensitive)
  bool has_header(std::string_view name) const;
  boost::json::value json() const;  // the body parsed (throws on invalid JSON)
};

struct tls_identity {
  std::string cert_pem;
  std::string key_pem;
};

// A fresh EC P-256 key and a self-signed certificate with the given subjectAltNames, made with the
// OpenSSL API (no files, no openssl binary).
tls_identity make_self_signed_certificate(const std::vector<std::string>& dns_names,
                                          const std::vector<std::string>& ip_addresses);

struct server_options {
  std::optional<tls_identity> tls;  // set: serve HTTPS with this identity
};

class scripted_server {
 public:
  explicit scripted_server(server_options opts = {});
  ~scripted_server();
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  void add(exchange x);

  std::uint16_t port() const noexcept;
  // "http://127.0.0.1:<port>/v1" or "https://..."
  std::string base_url() const;

  std::vector<recorded_request> requests() const;
  std::size_t connections_accepted() const;
  // Connections the client closed while the server was hanging or pausing (cancellation, timeouts).
  std::size_t client_disconnects() const;
  // Blocks until the count reaches n or `timeout` passes; returns the final count.
  std::size_t wait_for_client_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t unexpected_requests() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// A minimal HTTP CONNECT proxy on 127.0.0.1 that tunnels to loopback destinations only.
class connect_proxy {
 public:
  connect_proxy();
  ~connect_proxy();
  connect_proxy(const connect_proxy&) = delete;
  connect_proxy& operator=(const connect_proxy&) = delete;

  std::uint16_t port() const noexcept;
  std::string url() const;                           // "http://127.0.0.1:<port>"
  std::vector<std::string> connect_targets() const;  // the authority of each CONNECT, in order

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Client options pointed at `s`: a test key, no proxy/organization/project from the environment, no jitter.
inline client_options client_options_for(const scripted_server& s) {
  client_options o;
  o.api_key = "test-key";
  o.base_url = s.base_url();
  o.proxy = "";
  o.organization = "";
  o.project = "";
  o.jitter = [] { return 0.0; };
  return o;
}

}  // namespace chatkit::openai::testing
