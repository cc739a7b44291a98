// One structured record per request: method, path, status, user, duration, events sent
// (docs/http.md#access-log).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace chatkit::http {

struct access_log_entry {
  std::string_view method;
  std::string_view path;  // without the query string, which may carry secrets
  int status = 0;
  std::string_view user;  // empty when unauthenticated
  std::chrono::microseconds duration{0};  // until the last byte (for streams: until the stream ended)
  std::size_t events = 0;                 // SSE frames sent (0 for JSON answers)
  bool cancelled = false;                 // a stream ended by a client disconnect or shutdown
};

using access_log_fn = std::function<void(const access_log_entry&)>;

// The entry as one compact JSON object (no trailing newline):
// {"method":"POST","path":"/chatkit","status":200,"user":"u1","duration_us":1250,"events":7}
std::string format_access_log(const access_log_entry& e);

// The default: an info record through chatkit::log (chatkit/log.hpp), component "http", message "request",
// with the fields method, path, status, user, duration_us, events and, for cancelled streams, cancelled.
access_log_fn structured_access_log();

// Writes format_access_log lines straight to stderr (whole lines, safe from several threads), bypassing the
// log sink and its level.
access_log_fn stderr_access_log();

}  // namespace chatkit::http
