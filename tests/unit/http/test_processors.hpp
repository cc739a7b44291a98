// Request processors for the http tests: they stand in for the ChatKit server core behind the
// request_processor seam and record what the transport did to them (cancellation, completion).
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/server/request_processor.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatkit::http::test {

// A one-shot event the test thread can wait for (with a watchdog so a bug fails instead of hanging).
class flag {
 public:
  void set() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool wait(int n = 1, std::chrono::seconds watchdog = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, watchdog, [&] { return count_ >= n; });
  }
  int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// Holds streams back until the test opens it; opening wakes waiters on their own executors.
class gate {
 public:
  boost::asio::awaitable<void> wait() {
    auto t = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                         boost::asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(mu_);
      if (open_) co_return;
      waiters_.push_back(t);
    }
    co_await t->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    auto cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none)
      throw boost::system::system_error(boost::asio::error::operation_aborted);
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    for (auto& t : waiters_) boost::asio::post(t->get_executor(), [t] { t->cancel(); });
    waiters_.clear();
  }

 private:
  std::mutex mu_;
  bool open_ = false;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

inline std::string frame(const std::string& json) { return "data: " + json + "\n\n"; }

// Behaviour chosen by the request's "type":
//   json              -> {"ok":true,"user":<user id>}
//   stream {n, tag}   -> n frames {"i":k,"tag":tag}, yielding to the executor between frames
//   burst {n}         -> n frames written back to back without yielding (coalescing)
//   gated             -> frame 0, waits for `release`, frame 1
//   hang              -> frame 0, then waits forever (until cancelled)
//   hang_silent       -> waits forever before any frame
//   not_found         -> process() throws not_found
//   stream_not_found  -> run() throws not_found before its first frame
//   invalid           -> process() throws invalid_request naming a JSON path
//   not_implemented   -> process() throws not_implemented
//   boom              -> process() throws std::runtime_error with a "secret" message
//   fail_mid          -> frame 0, then run() throws
//   flood             -> 1 KiB frames until the sink refuses (records `cancelled` on any system_error)
class test_processor final : public server::request_processor {
 public:
  gate release;
  flag started, finished, cancelled;
  std::atomic<int> process_calls{0};

  boost::asio::awaitable<server::process_result> process(std::string body, request_context ctx) override {
    ++process_calls;
    auto req = boost::json::parse(body).as_object();
    std::string type(req.at("type").as_string());
    const boost::json::object* params = req.if_contains("params") ? &req.at("params").as_object() : nullptr;
    auto param = [&](const char* k, std::int64_t def) {
      return params && params->if_contains(k) ? params->at(k).to_number<std::int64_t>() : def;
    };
    if (type == "json") co_return server::json_response{R"({"ok":true,"user":")" + ctx.user_id + "\"}"};
    if (type == "not_found") throw error(errc::not_found, "thread not found");
    if (type == "invalid") throw error(errc::invalid_request, "expected string", "params.input.content[0].type");
    if (type == "not_implemented") throw error(errc::not_implemented, "sync_action is not implemented");
    if (type == "boom") throw std::runtime_error("secret: password=hunter2 at /srv/db");

    server::event_stream s;
    if (type == "stream" || type == "burst") {
      std::int64_t n = param("n", 3);
      std::string tag = params && params->if_contains("tag") ? std::string(params->at("tag").as_string()) : "";
      bool yield = type == "stream";
      s.run = [this, n, tag, yield](server::event_sink& sink) -> boost::asio::awaitable<void> {
        started.set();
        for (std::int64_t i = 0; i < n; ++i) {
          co_await sink.write(frame(R"({"i":)" + std::to_string(i) + R"(,"tag":")" + tag + "\"}"));
          if (yield) co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
        }
        finished.set();
      };
    } else if (type == "gated") {
      s.run = [this](server::event_sink& sink) -> boost::asio::awaitable<void> {
        started.set();
        co_await sink.write(frame(R"({"i":0})"));
        co_await release.wait();
        co_await sink.write(frame(R"({"i":1})"));
        finished.set();
      };
    } else if (type == "hang" || type == "hang_silent") {
      bool silent = type == "hang_silent";
      s.run = [this, silent](server::event_sink& sink) -> boost::asio::awaitable<void> {
        started.set();
        try {
          if (!silent) co_await sink.write(frame(R"({"i":0})"));
          boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor,
                                            boost::asio::steady_timer::time_point::max());
          co_await forever.async_wait(boost::asio::use_awaitable);
        } catch (const boost::system::system_error& e) {
          // This is what the server core does on cancellation: persist the partial answer, then stop.
          if (e.code() == boost::asio::error::operation_aborted) cancelled.set();
          throw;
        }
        finished.set();
      };
    } else if (type == "flood") {
      s.run = [this](server::event_sink& sink) -> boost::asio::awaitable<void> {
        started.set();
        std::string payload = frame(R"({"pad":")" + std::string(1000, 'x') + "\"}");
        try {
          for (;;) co_await sink.write(payload);
        } catch (const boost::system::system_error&) {
          cancelled.set();
          throw;
        }
      };
    } else if (type == "stream_not_found") {
      s.run = [](server::event_sink&) -> boost::asio::awaitable<void> {
        throw error(errc::not_found, "thread thr_x not found");
        co_return;
      };
    } else if (type == "fail_mid") {
      s.run = [](server::event_sink& sink) -> boost::asio::awaitable<void> {
        co_await sink.write(frame(R"({"i":0})"));
        throw std::runtime_error("store failure");
      };
    } else {
      throw error(errc::invalid_request, "unknown type " + type, "type");
    }
    co_return s;
  }
};

}  // namespace chatkit::http::test
