#include "demo_model.hpp"

#include <chatkit/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <random>

namespace task_bot {
namespace json = boost::json;
namespace http = chatkit::http;
namespace bhttp = boost::beast::http;

namespace {

std::atomic<std::uint64_t> next_id{1};

// Ids unique across restarts too: the ChatKit store keeps the items they name.
std::string fresh_id(std::string_view prefix) {
  static const std::string run = [] {
    std::random_device rd;
    std::string s;
    for (int i = 0; i < 8; ++i) s += "0123456789abcdef"[rd() % 16];
    return s;
  }();
  return std::string(prefix) + run + "_" + std::to_string(next_id++);
}

class sse_writer {
 public:
  void event(json::object data) {
    const std::string type(data.at("type").as_string());
    data["sequence_number"] = seq_++;
    out_ += "event: " + type + "\ndata: " + json::serialize(data) + "\n\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::int64_t seq_ = 0;
};

json::object response_object(const std::string& id, const std::string& model, std::string_view status,
                             json::array output) {
  return {{"id", id},
          {"object", "response"},
          {"created_at", std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count()},
          {"status", status},
          {"model", model},
          {"output", std::move(output)},
          {"parallel_tool_calls", true},
          {"tool_choice", "auto"},
          {"tools", json::array{}},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"usage", status == "completed"
                        ? json::value(json::object{{"input_tokens", 0},
                                                   {"input_tokens_details", {{"cached_tokens", 0}}},
                                                   {"output_tokens", 0},
                                                   {"output_tokens_details", {{"reasoning_tokens", 0}}},
                                                   {"total_tokens", 0}})
                        : json::value(nullptr)}};
}

// The text in a few pieces, as a real model streams it.
std::vector<std::string> pieces(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + 24);
    while (end < text.size() && text[end] != ' ') ++end;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

}  // namespace

std::string responses_sse(const demo_reply& reply, const std::string& model) {
  sse_writer w;
  const std::string id = fresh_id("resp_demo_");
  w.event({{"type", "response.created"}, {"response", response_object(id, model, "in_progress", {})}});
  json::array output;
  int index = 0;
  for (const auto& c : reply.calls) {
    const std::string item_id = fresh_id("fc_demo_");
    const std::string call_id = fresh_id("call_demo_");
    const std::string args = json::serialize(c.arguments);
    json::object item{{"id", item_id},   {"type", "function_call"}, {"status", "in_progress"},
                      {"arguments", ""}, {"call_id", call_id},      {"name", c.name}};
    w.event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", item}});
    w.event({{"type", "response.function_call_arguments.delta"},
             {"item_id", item_id},
             {"output_index", index},
             {"delta", args}});
    w.event({{"type", "response.function_call_arguments.done"},
             {"item_id", item_id},
             {"output_index", index},
             {"name", c.name},
             {"arguments", args}});
    item["status"] = "completed";
    item["arguments"] = args;
    w.event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output.push_back(std::move(item));
    ++index;
  }
  if (reply.calls.empty()) {
    const std::string item_id = fresh_id("msg_demo_");
    json::object item{{"id", item_id},
                      {"type", "message"},
                      {"status", "in_progress"},
                      {"role", "assistant"},
                      {"content", json::array{}}};
    w.event({{"type", "response.output_item.added"}, {"output_index", 0}, {"item", item}});
    auto part = [](const std::string& text) {
      return json::object{{"type", "output_text"},
                          {"text", text},
                          {"annotations", json::array{}},
                          {"logprobs", json::array{}}};
    };
    w.event({{"type", "response.content_part.added"},
             {"item_id", item_id},
             {"output_index", 0},
             {"content_index", 0},
             {"part", part("")}});
    for (const auto& p : pieces(reply.text))
      w.event({{"type", "response.output_text.delta"},
               {"item_id", item_id},
               {"output_index", 0},
               {"content_index", 0},
               {"delta", p},
               {"logprobs", json::array{}}});
    w.event({{"type", "response.output_text.done"},
             {"item_id", item_id},
             {"output_index", 0},
             {"content_index", 0},
             {"text", reply.text},
             {"logprobs", json::array{}}});
    w.event({{"type", "response.content_part.done"},
             {"item_id", item_id},
             {"output_index", 0},
             {"content_index", 0},
             {"part", part(reply.text)}});
    item["status"] = "completed";
    item["content"] = json::array{part(reply.text)};
    w.event({{"type", "response.output_item.done"}, {"output_index", 0}, {"item", item}});
    output.push_back(std::move(item));
  }
  w.event({{"type", "response.completed"},
           {"response", response_object(id, model, "completed", std::move(output))}});
  return w.take();
}

namespace {

// The demo server has no ChatKit endpoint of its own; chatkit::http::server needs a processor anyway.
class no_chatkit final : public chatkit::server::request_processor {
 public:
  boost::asio::awaitable<chatkit::server::process_result> process(std::string,
                                                                  chatkit::request_context) override {
    throw chatkit::error(chatkit::errc::not_found, "no such path");
  }
};

http::server_options demo_server_options() {
  http::server_options o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  o.endpoint.path = "/v1/chatkit-unused";
  o.endpoint.authenticate = [](const http::request&) -> chatkit::request_context {
    throw chatkit::error(chatkit::errc::not_found, "no such path");
  };
  o.endpoint.access_log = [](const http::access_log_entry&) {};
  o.shutdown_grace = std::chrono::seconds(2);
  return o;
}

}  // namespace

struct demo_model::impl {
  http::server server{std::make_shared<no_chatkit>(), demo_server_options()};
  std::atomic<std::uint64_t> requests{0};
};

demo_model::demo_model() : impl_(std::make_unique<impl>()) {
  impl_->server.add_route(
      "/v1/responses", [m = impl_.get()](http::request req) -> boost::asio::awaitable<http::response> {
        if (req.method() != bhttp::verb::post)
          throw chatkit::error(chatkit::errc::method_not_allowed, "use POST");
        boost::system::error_code ec;
        auto body = json::parse(req.body(), ec);
        if (ec || !body.is_object())
          throw chatkit::error(chatkit::errc::invalid_request, "body: must be a JSON object");
        const auto& request = body.get_object();
        const auto* stream = request.if_contains("stream");
        if (!stream || !stream->is_bool() || !stream->get_bool())
          throw chatkit::error(chatkit::errc::invalid_request, "stream: the demo model only streams");
        ++m->requests;
        const auto* model = request.if_contains("model");
        const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
        http::response res{bhttp::status::ok, req.version()};
        res.set(bhttp::field::content_type, "text/event-stream");
        res.body() = responses_sse(demo_reply_for(request, today),
                                   model && model->is_string() ? std::string(model->get_string()) : "demo");
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        co_return res;
      });
}

demo_model::~demo_model() {
  stop();
}

void demo_model::start() {
  impl_->server.start();
}
void demo_model::stop() {
  impl_->server.stop();
}

std::string demo_model::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server.port()) + "/v1";
}

std::uint64_t demo_model::requests() const noexcept {
  return impl_->requests;
}

}  // namespace task_bot
