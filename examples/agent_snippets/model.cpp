// docs/agents.md "The model interface": a model of your own. This one replays scripted output items —
// handy for testing an agent without a network — and is what main.cpp runs the other snippets against.
#include "snippets.hpp"

#include <chatkit/agents/openai_chat_model.hpp>
#include <chatkit/openai/client_options.hpp>
#include <chatkit/openai/responses_decoder.hpp>

#include <stdexcept>

namespace snippets {

namespace {

// [replay_stream]
// One call's events, decoded from a Responses SSE body with the SDK's own decoder (so accumulation and
// the end-of-stream rules are exactly those of the network client).
class replay_stream final : public agents::model_stream {
 public:
  explicit replay_stream(const std::string& sse) { decoder_.feed(sse); }

  asio::awaitable<std::optional<chatkit::openai::response_event>> next() override {
    if (cancelled_) throw std::runtime_error("cancelled");
    auto event = decoder_.next();
    if (!event) decoder_.finish();  // throws stream_truncated when the script has no terminal event
    co_return event;
  }
  const chatkit::openai::response& current() const noexcept override {
    return decoder_.accumulator().current();
  }
  void cancel() noexcept override { cancelled_ = true; }

 private:
  chatkit::openai::responses_decoder decoder_;
  bool cancelled_ = false;
};
// [replay_stream]

class sse_writer {
 public:
  void event(json::object e) {
    const std::string type(e.at("type").as_string());
    e["sequence_number"] = sequence_++;
    body += "event: " + type + "\ndata: " + json::serialize(e) + "\n\n";
  }
  std::string body;

 private:
  std::int64_t sequence_ = 0;
};

json::object response_object(const std::string& id, const char* status, json::array output) {
  return {{"id", id},
          {"object", "response"},
          {"created_at", 1700000000},
          {"status", status},
          {"model", "replay"},
          {"output", std::move(output)},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"usage", {{"input_tokens", 10}, {"output_tokens", 5}, {"total_tokens", 15}}}};
}

// The events of one response: each item added and done, a message's text as one delta in between.
std::string to_sse(const std::string& response_id, const json::array& output) {
  sse_writer w;
  w.event({{"type", "response.created"}, {"response", response_object(response_id, "in_progress", {})}});
  for (std::size_t i = 0; i < output.size(); ++i) {
    const auto index = static_cast<std::int64_t>(i);
    const json::object& item = output[i].as_object();
    json::object added = item;
    if (item.at("type") == "message") added["content"] = json::array{};
    w.event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", added}});
    if (item.at("type") == "message") {
      const json::value& text = item.at("content").at(0).at("text");
      const json::value& id = item.at("id");
      w.event({{"type", "response.content_part.added"},
               {"item_id", id},
               {"output_index", index},
               {"content_index", 0},
               {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}}}});
      w.event({{"type", "response.output_text.delta"},
               {"item_id", id},
               {"output_index", index},
               {"content_index", 0},
               {"delta", text}});
    }
    w.event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
  }
  w.event({{"type", "response.completed"}, {"response", response_object(response_id, "completed", output)}});
  return w.body;
}

}  // namespace

json::object message_item(std::string id, std::string text) {
  return {
      {"id", std::move(id)},
      {"type", "message"},
      {"status", "completed"},
      {"role", "assistant"},
      {"content",
       json::array{{{"type", "output_text"}, {"text", std::move(text)}, {"annotations", json::array{}}}}}};
}

json::object function_call_item(std::string call_id, std::string name, std::string arguments) {
  return {{"id", "fc_" + call_id},         {"type", "function_call"}, {"status", "completed"},
          {"call_id", std::move(call_id)}, {"name", std::move(name)}, {"arguments", std::move(arguments)}};
}

replay_model::replay_model(std::vector<json::array> outputs) : outputs_(std::move(outputs)) {}

// [replay_model]
asio::awaitable<std::unique_ptr<agents::model_stream>> replay_model::stream(json::object request) {
  // `request` is the complete Responses body the runner built: model, instructions, input, tools, settings.
  requests.push_back(std::move(request));
  const std::size_t call = requests.size() - 1;
  if (call >= outputs_.size()) throw std::runtime_error("replay_model: no scripted answer left");
  co_return std::make_unique<replay_stream>(to_sse("resp_" + std::to_string(call + 1), outputs_[call]));
}
// [replay_model]

// [chat_model]
// The same agent over Chat Completions (providers that only speak /chat/completions): requests are
// translated from the Responses form the runner builds, chunks become Responses events.
std::shared_ptr<agents::model> make_chat_model() {
  chatkit::openai::client_options options;  // OPENAI_API_KEY / OPENAI_BASE_URL from the environment
  options.api_key = "sk-not-used-here";     // set explicitly only so this snippet runs anywhere
  return std::make_shared<agents::openai_chat_model>(std::move(options),
                                                     agents::chat_model_options{.request = {.instructions_role = "developer"}});
}
// [chat_model]

}  // namespace snippets
