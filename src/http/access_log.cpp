#include <chatkit/http/access_log.hpp>
#include <chatkit/log.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <cstdio>
#include <iterator>

namespace chatkit::http {

std::string format_access_log(const access_log_entry& e) {
  // Integer microseconds: Boost.JSON prints doubles in exponent form, which log tools read poorly.
  boost::json::object o{{"method", e.method}, {"path", e.path},
                        {"status", e.status}, {"user", e.user},
                        {"duration_us", e.duration.count()}, {"events", e.events}};
  if (e.cancelled) o["cancelled"] = true;
  return boost::json::serialize(o);
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
