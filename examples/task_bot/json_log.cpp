#include "json_log.hpp"

#include "task.hpp"

#include <boost/json/serialize.hpp>

#include <cstdio>

namespace task_bot {

void log_json(std::string_view level, std::string_view msg, boost::json::object fields) {
  boost::json::object line{{"ts", now_iso8601()}, {"level", level}, {"msg", msg}};
  for (auto& [k, v] : fields) line[k] = std::move(v);
  const std::string text = boost::json::serialize(line) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

chatkit::http::access_log_fn json_access_log() {
  return [](const chatkit::http::access_log_entry& e) {
    boost::json::object f{
        {"method", e.method}, {"path", e.path}, {"status", e.status}, {"duration_us", e.duration.count()}};
    if (!e.user.empty()) f["user"] = e.user;
    if (e.events) f["events"] = e.events;
    if (e.cancelled) f["cancelled"] = true;
    log_json("info", "request", std::move(f));
  };
}

}  // namespace task_bot
