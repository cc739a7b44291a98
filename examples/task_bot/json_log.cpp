#include "json_log.hpp"

#include "task.hpp"

#include <chatkit/log.hpp>

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <variant>

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

void install_sdk_log_sink() {
  chatkit::log::set_sink([](const chatkit::log::record& r) {
    boost::json::object f{{"component", r.component}};
    for (const auto& field : r.fields) std::visit([&](const auto& v) { f[field.key] = v; }, field.value);
    log_json(chatkit::log::to_string(r.severity), r.message, std::move(f));
  });
}

}  // namespace task_bot
