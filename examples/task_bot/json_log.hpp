// The task bot's logs: one JSON object per line on stderr ({"ts":...,"level":...,"msg":..., fields}),
// ready for a log collector (Render, Docker, journald).
#pragma once

#include <chatkit/http/access_log.hpp>

#include <boost/json/object.hpp>

#include <string_view>

namespace task_bot {

void log_json(std::string_view level, std::string_view msg, boost::json::object fields = {});

// The HTTP access log in the same form ("msg":"request").
chatkit::http::access_log_fn json_access_log();

// The SDK's own records (store errors, MCP servers' stderr, refused tokens...) in the same form, with their
// "component": installed with chatkit::log::set_sink at start-up (docs/guide-operations.md#logging).
void install_sdk_log_sink();

}  // namespace task_bot
