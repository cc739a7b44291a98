// A ChatKit event sink for tests: parses each SSE frame (checking the exact "data: <json>\n\n" framing), can
// run a callback per frame and can fail like a closed socket after N frames. Shared by the server scenario tests and the agents bridge tests.
#pragma once

#include "support/run_sync.hpp"

#include <chatkit/server/request_processor.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/system_error.hpp>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chatkit::testing {

namespace json = boost::json;

// Collects frames; checks each is exactly "data: <json>\n\n". `on_frame` runs after each frame (to cancel
// mid-stream); `fail_after` makes the N+1th write throw like a closed socket.
struct collecting_sink : server::event_sink {
  std::vector<json::value> events;
  std::function<void(const json::value&)> on_frame;
  std::size_t fail_after = SIZE_MAX;

  boost::asio::awaitable<void> write(std::string_view frames) override {
    while (!frames.empty()) {
      if (events.size() >= fail_after) throw boost::system::system_error(boost::asio::error::broken_pipe);
      if (!frames.starts_with("data: ")) throw std::logic_error("frame without data: prefix");
      const auto end = frames.find("\n\n");
      if (end == std::string_view::npos) throw std::logic_error("frame without terminator");
      events.push_back(json::parse(frames.substr(6, end - 6)));
      frames.remove_prefix(end + 2);
      if (on_frame) on_frame(events.back());
    }
    co_return;
  }

  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      std::string t(e.at("type").as_string());
      if (t == "thread.item.updated") t += ":" + std::string(e.at("update").at("type").as_string());
      out.push_back(t);
    }
    return out;
  }
};

}  // namespace chatkit::testing
