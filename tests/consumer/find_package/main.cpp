// A program written the way an application using the installed SDK would write it: only public headers,
// linked against chatkit::chatkit. It parses a ChatKit request, builds a typed tool bound to the signed-in
// user and calls it, so a missing header, an unexported layer or an unresolved dependency shows up as a
// compile, link or run failure of tests/consumer/run_consumer.cmake, which checks the printed lines.
#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/typed_tool.hpp>
#include <chatkit/error.hpp>
#include <chatkit/protocol/requests.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <variant>

namespace agents = chatkit::agents;
namespace cp = chatkit::protocol;

struct add_note_args {
  std::string user_id;  // bound to the caller: the model never sees it
  std::string text;
  static constexpr agents::field_doc field_docs[] = {{"text", "The note"}};
};
BOOST_DESCRIBE_STRUCT(add_note_args, (), (user_id, text))

int main() {
  constexpr std::string_view body =
      R"({"type":"threads.add_user_message","params":{"thread_id":"thr_4f1c9a2b","input":{)"
      R"("content":[{"type":"input_text","text":"remember the milk"}],"attachments":[],"inference_options":{}}}})";
  const cp::request req = cp::parse_request(body);
  const auto& msg = std::get<cp::threads_add_user_message>(req);
  const auto& text = std::get<cp::input_text>(msg.params.input.content.at(0));
  std::cout << "request: " << cp::request_type(req) << " " << msg.params.thread_id << " \"" << text.text
            << "\"\n";

  try {
    cp::parse_request(R"({"type":"threads.nope","params":{}})");
    std::cout << "invalid request accepted\n";
  } catch (const chatkit::error& e) {
    std::cout << "rejected: " << chatkit::error_type_name(e.code_value()) << ", HTTP " << chatkit::http_status(e.code())
              << ", at " << e.path() << "\n";
  }

  const auto tool = agents::typed_tool<add_note_args>(
      "add_note", "Add a note for the signed-in user.",
      [](add_note_args a) { return "note for " + a.user_id + ": " + a.text; }, {agents::bind_user_id()});
  std::cout << "tool: " << boost::json::serialize(tool.to_responses_tool()) << "\n";

  chatkit::request_context caller;
  caller.user_id = "alice";
  agents::run_context run(caller);
  const agents::agent agent;
  agents::tool_context ctx{run, agent, tool.name, "call_1", R"({"text":"remember the milk"})"};
  boost::asio::io_context io;
  std::string output;
  auto call = [&]() -> boost::asio::awaitable<void> {
    const agents::tool_output out = co_await tool.invoke(ctx, boost::json::object{{"text", text.text}});
    output = boost::json::serialize(out.to_wire());
  };
  boost::asio::co_spawn(io, call(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  std::cout << "call: " << output << "\n";
}
