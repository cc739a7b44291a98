#include <chatkit/http/access_log.hpp>
#include <chatkit/log.hpp>

#include <chatkit/protocol/json_writer.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iterator>

namespace chatkit::http {

namespace {

template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

std::string format_access_log(const access_log_entry& e) {
  // Written directly (no JSON tree: one allocation per line). Integer microseconds: Boost.JSON prints doubles
  // in exponent form, which log tools read poorly. The strings come from the request line and the credentials,
  // unchecked: bytes that are not UTF-8 become U+FFFD, so the line is always valid JSON.
  constexpr auto policy = protocol::invalid_utf8::replace;
  std::string line;
  line.reserve(96 + e.user.size() + e.path.size());
  line += R"({"method":)";
  protocol::append_json_string(line, e.method, policy);
  line += R"(,"path":)";
  protocol::append_json_string(line, e.path, policy);
  line += R"(,"status":)";
  append_integer(line, e.status);
  line += R"(,"user":)";
  protocol::append_json_string(line, e.user, policy);
  line += R"(,"duration_us":)";
  append_integer(line, e.duration.count());
  line += R"(,"events":)";
  append_integer(line, e.events);
  if (e.cancelled) line += R"(,"cancelled":true)";
  line += '}';
  return line;
}

access_log_fn structured_access_log() {
  return [](const access_log_entry& e) {
    if (!log::enabled(log::level::info)) return;
    const log::field fields[] = {{"method", e.method},
                                 {"path", e.path},
                                 {"status", e.status},
                                 {"user", e.user},
                                 {"duration_us", static_cast<std::int64_t>(e.duration.count())},
                                 {"events", e.events},
                                 {"cancelled", true}};
    log::write(log::level::info, "http", "request",
               std::span<const log::field>(fields, e.cancelled ? std::size(fields) : std::size(fields) - 1));
  };
}

access_log_fn stderr_access_log() {
  return [](const access_log_entry& e) {
    std::string line = format_access_log(e);
    line += '\n';
    // One fwrite per line: stdio locks the stream, so lines of concurrent requests never interleave.
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace chatkit::http
