// In-process harness for server scenario tests: the echo bot on a memory store, requests as JSON text,
// streams collected frame by frame into a sink that can also simulate a disconnect.
#pragma once

#include "echo_bot.hpp"
#include "support/collecting_sink.hpp"
#include "support/run_sync.hpp"

#include <chatkit/protocol.hpp>
#include <chatkit/server/chatkit_server.hpp>
#include <chatkit/store/memory_store.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatkit::testing {

namespace json = boost::json;

struct harness {
  boost::asio::io_context ioc;
  std::shared_ptr<store::memory_store> store = std::make_shared<store::memory_store>();
  std::shared_ptr<examples::echo_attachment_store> attachments =
      std::make_shared<examples::echo_attachment_store>();
  std::unique_ptr<server::chatkit_server> bot;
  request_context alice{"alice", {}, {}};
  request_context bob{"bob", {}, {}};

  harness() : bot(std::make_unique<examples::echo_bot>(store, attachments)) {}
  template <class Bot>
  explicit harness(std::in_place_type_t<Bot>) : bot(std::make_unique<Bot>(store, attachments)) {}

  server::process_result process(const std::string& body, const request_context& ctx) {
    return run_sync(ioc, bot->process(body, ctx));
  }

  // A non-streaming request's parsed JSON body.
  json::value call(const std::string& body, const request_context& ctx) {
    auto r = process(body, ctx);
    auto* j = std::get_if<server::json_response>(&r);
    if (!j) throw std::logic_error("expected a JSON response");
    return json::parse(j->body);
  }
  json::value call(const std::string& body) { return call(body, alice); }

  // A streaming request's frames.
  collecting_sink stream(const std::string& body, const request_context& ctx, collecting_sink sink = {}) {
    auto r = process(body, ctx);
    auto* s = std::get_if<server::event_stream>(&r);
    if (!s) throw std::logic_error("expected an event stream");
    run_sync(ioc, s->run(sink));
    return sink;
  }
  collecting_sink stream(const std::string& body) { return stream(body, alice); }

  // The chatkit::error a request fails with before any frame ("" if it does not fail).
  std::string error_of(const std::string& body, const request_context& ctx, errc* code = nullptr) {
    try {
      process(body, ctx);
    } catch (const chatkit::error& e) {
      if (code) *code = e.code_value();
      return e.message();
    }
    return "";
  }

  std::vector<protocol::thread_item> stored_items(const std::string& thread_id, const request_context& ctx) {
    auto page = run_sync(
        ioc, store->load_thread_items(thread_id, std::nullopt, 1000, protocol::sort_order::asc, ctx));
    return page.data;
  }
};

inline std::string create_body(const std::string& text) {
  json::object body{{"type", "threads.create"},
                    {"params",
                     {{"input",
                       {{"content", json::array{{{"type", "input_text"}, {"text", text}}}},
                        {"attachments", json::array{}},
                        {"inference_options", json::object{}}}}}}};
  return json::serialize(body);
}

inline std::string add_message_body(const std::string& thread_id, const std::string& text) {
  json::object body{{"type", "threads.add_user_message"},
                    {"params",
                     {{"thread_id", thread_id},
                      {"input",
                       {{"content", json::array{{{"type", "input_text"}, {"text", text}}}},
                        {"attachments", json::array{}},
                        {"inference_options", json::object{}}}}}}};
  return json::serialize(body);
}

// Frame types as collecting_sink::types() reports them (item updates carry their update type).
namespace frames {
using types = std::vector<std::string>;
inline const std::string added = "thread.item.added";
inline const std::string done = "thread.item.done";
inline const std::string part_added = "thread.item.updated:assistant_message.content_part.added";
inline const std::string delta = "thread.item.updated:assistant_message.content_part.text_delta";
inline const std::string part_done = "thread.item.updated:assistant_message.content_part.done";
}  // namespace frames

inline std::string thread_id_of(const collecting_sink& s) {
  return std::string(s.events.at(0).at("thread").at("id").as_string());
}

}  // namespace chatkit::testing
