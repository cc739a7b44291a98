#include "example_tools.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/typed_tool.hpp>
#include <chatkit/mcp/tool_server.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>

#include <stdexcept>

namespace mcp_example {

namespace agents = chatkit::agents;
namespace asio = boost::asio;
namespace json = boost::json;
namespace mcp = chatkit::mcp;

namespace {

// A 1x1 red PNG and a tiny silent WAV, base64.
constexpr const char* red_pixel_png =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
constexpr const char* silent_wav = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";

json::object no_arguments() {
  return {{"type", "object"}, {"properties", json::object{}}, {"additionalProperties", false}};
}

agents::function_tool fixed(std::string name, std::string description, agents::tool_output output) {
  return agents::make_tool(
      std::move(name), std::move(description), no_arguments(),
      [output](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
        co_return output;
      },
      false);
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

struct echo_args {
  std::string message;
};
BOOST_DESCRIBE_STRUCT(echo_args, (), (message))

struct add_args {
  double a;
  double b;
};
BOOST_DESCRIBE_STRUCT(add_args, (), (a, b))

// [whoami]
struct whoami_args {
  std::string user_id;  // bound: the caller's identity
};
BOOST_DESCRIBE_STRUCT(whoami_args, (), (user_id))
// [whoami]

}  // namespace

agents::tool_registry example_tools() {
  agents::tool_registry r;
  r.add(agents::typed_tool<echo_args>("echo", "Echoes back the message",
                                      [](echo_args a) -> std::string { return "Echo: " + a.message; }));
  r.add(agents::typed_tool<add_args>("add", "Adds two numbers", [](add_args a) -> json::value {
    return json::object{{"sum", a.a + a.b}};
  }));
  // [whoami_tool]
  r.add(agents::typed_tool<whoami_args>(
      "whoami", "Tells who the server thinks you are",
      [](whoami_args a) -> std::string { return "You are " + a.user_id + "."; }));
  // [whoami_tool]

  r.add(fixed("test_simple_text", "Returns simple text", "This is a simple text response for testing."));
  r.add(fixed("test_image_content", "Returns an image",
              agents::tool_output::content(json::array{
                  json::object{{"type", "image"}, {"data", red_pixel_png}, {"mimeType", "image/png"}}})));
  r.add(fixed("test_audio_content", "Returns audio",
              agents::tool_output::content(json::array{
                  json::object{{"type", "audio"}, {"data", silent_wav}, {"mimeType", "audio/wav"}}})));
  const json::object resource{{"type", "resource"},
                              {"resource",
                               {{"uri", "test://embedded-resource"},
                                {"mimeType", "text/plain"},
                                {"text", "This is an embedded resource content."}}}};
  r.add(fixed("test_embedded_resource", "Returns an embedded resource",
              agents::tool_output::content(json::array{resource})));
  r.add(fixed("test_multiple_content_types", "Returns text, an image and a resource",
              agents::tool_output::content(json::array{
                  json::object{{"type", "input_text"}, {"text", "Multiple content types test:"}},
                  json::object{{"type", "input_image"},
                               {"image_url", std::string("data:image/png;base64,") + red_pixel_png}},
                  resource})));
  r.add(agents::make_tool(
      "test_error_handling", "Always fails", no_arguments(),
      [](agents::tool_context&, json::object) -> asio::awaitable<agents::tool_output> {
        throw std::runtime_error("This tool intentionally returns an error for testing");
        co_return agents::tool_output("unreachable");
      },
      false));
  // [progress]
  r.add(agents::make_tool(
      "test_tool_with_progress", "Reports progress three times", no_arguments(),
      [](agents::tool_context& ctx, json::object) -> asio::awaitable<agents::tool_output> {
        for (int step = 0; step <= 100; step += 50) {
          co_await mcp::report_progress(ctx, step, 100, "step " + std::to_string(step / 50 + 1));
          co_await pause(std::chrono::milliseconds(20));
        }
        co_return agents::tool_output("Progress test completed");
      },
      false));
  // [progress]
  r.add(agents::make_tool(
      "test_tool_with_logging", "Sends three log messages", no_arguments(),
      [](agents::tool_context& ctx, json::object) -> asio::awaitable<agents::tool_output> {
        for (const char* text :
             {"Tool execution started", "Tool processing data", "Tool execution completed"}) {
          co_await mcp::log_message(ctx, "info", text);
          co_await pause(std::chrono::milliseconds(20));
        }
        co_return agents::tool_output("Logging test completed");
      },
      false));
  r.add(agents::make_tool(
      "json_schema_2020_12_tool", "A JSON Schema 2020-12 input schema with $defs",
      json::parse(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
        "$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
        "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"}},
        "additionalProperties":false})")
          .as_object(),
      [](agents::tool_context&, json::object args) -> asio::awaitable<agents::tool_output> {
        co_return agents::tool_output(json::value(std::move(args)));
      },
      false));
  // [bind]
  return r.bind({agents::bind_user_id()});  // every tool with a user_id parameter gets it from the caller
  // [bind]
}

}  // namespace mcp_example
