// Configuration of the OpenAI client. Unset fields take the official clients' defaults and
// environment variables: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID,
// HTTPS_PROXY / https_proxy and NO_PROXY / no_proxy.
#pragma once

#include <chatkit/version.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatkit::openai {

// A header to add or replace (case-insensitive), or, with no value, a default header to omit.
struct header_override {
  std::string name;
  std::optional<std::string> value;
};
using header_overrides = std::vector<header_override>;

struct tls_options {
  // Extra trusted certificates (PEM), in addition to the system store (or instead, see below).
  std::string extra_ca_pem;
  bool use_system_ca_store = true;
  // Turns off certificate AND hostname verification. Only for tests against throwaway servers; never
  // set it in production: anyone on the path could read the API key.
  bool danger_disable_certificate_verification_for_tests_only = false;
};

// Passed to client_options::on_retry before each retry sleep.
struct retry_info {
  int retry_number = 0;             // 1 for the first retry
  std::chrono::milliseconds delay;  // how long the client will sleep
  int status = 0;                   // HTTP status of the failed attempt, 0 when there was no response
  std::string reason;               // the failure, for logs
};

struct client_options {
  std::optional<std::string> api_key;       // default: $OPENAI_API_KEY (required)
  std::optional<std::string> base_url;      // default: $OPENAI_BASE_URL, else https://api.openai.com/v1
  std::optional<std::string> organization;  // default: $OPENAI_ORG_ID; header omitted when empty
  std::optional<std::string> project;       // default: $OPENAI_PROJECT_ID; header omitted when empty
  header_overrides extra_headers;           // applied to every request, after the defaults

  std::chrono::milliseconds connect_timeout{5000};  // TCP connect + proxy CONNECT + TLS handshake
  std::chrono::milliseconds read_timeout{600000};   // inactivity: longest silence between two reads
  std::chrono::milliseconds total_timeout{600000};  // whole call including retries (10 min); 0 = no deadline
  int max_retries = 2;                              // so at most 3 attempts

  // Proxy for https:// base URLs, "http://[user:pass@]host:port", reached with HTTP CONNECT.
  // nullopt: $HTTPS_PROXY honouring $NO_PROXY (loopback hosts are never proxied from the environment);
  // "": no proxy.
  std::optional<std::string> proxy;
  tls_options tls;
  // An http:// base URL sends the API key in cleartext, so it is refused (api_error invalid_argument)
  // unless its host is loopback (localhost, 127.0.0.0/8, ::1) or this is set.
  bool allow_insecure_http = false;

  std::size_t max_event_size = 16u * 1024u * 1024u;  // one SSE event; larger is a protocol error
  // Accept Responses events without sequence_number (some gateways strip it); off = protocol error.
  bool lenient_sequence_numbers = false;
  std::size_t max_idle_connections_per_host = 8;  // keep-alive pool size
  std::string user_agent = "chatkit-cpp/" CHATKIT_VERSION_STRING;

  // Source of U[0,1) for retry jitter (default: a random engine). Tests inject a fixed value.
  std::function<double()> jitter;
  // Observes retries (logging, tests).
  std::function<void(const retry_info&)> on_retry;
};

// Per-call overrides.
struct request_options {
  header_overrides extra_headers;  // applied after the client's
  boost::json::object extra_body;  // merged last into the request body
  std::optional<std::chrono::milliseconds> read_timeout;
  std::optional<std::chrono::milliseconds> total_timeout;
  std::optional<int> max_retries;
};

}  // namespace chatkit::openai
