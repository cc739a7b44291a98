// The code shown in docs/agents.md and docs/tools.md. Every block those pages quote is cut from the .cpp
// files of this directory (between `// [name]` markers), which are compiled — and main.cpp runs the ones
// that need no network against replay_model, so the pages cannot drift from the API.
#pragma once

#include <chatkit/agents/agent.hpp>
#include <chatkit/agents/agent_server.hpp>
#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/model.hpp>
#include <chatkit/agents/runner.hpp>
#include <chatkit/agents/thread_item_converter.hpp>
#include <chatkit/agents/tool.hpp>
#include <chatkit/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace snippets {

namespace agents = chatkit::agents;
namespace asio = boost::asio;
namespace json = boost::json;

// ---- tools.cpp ----
enum class priority { low, normal, high };
BOOST_DESCRIBE_ENUM(priority, low, normal, high)

// [add_task_args]
struct add_task_args {
  std::string title;
  priority level = priority::normal;
  std::optional<std::string> due;  // strict mode: still required, but may be null
  std::vector<std::string> tags;
  static constexpr agents::field_doc field_docs[] = {{"title", "What needs doing"},
                                                     {"due", "Due date as YYYY-MM-DD, or null"}};
};
BOOST_DESCRIBE_STRUCT(add_task_args, (), (title, level, due, tags))
// [add_task_args]

struct task {
  std::string id;
  std::string title;
  priority level = priority::normal;
};
BOOST_DESCRIBE_STRUCT(task, (), (id, title, level))

// [open_ticket_args]
struct open_ticket_args {
  std::string subject;
  std::string user_id;  // bound to the caller's id
  std::string tenant;   // bound to the caller's "tenant" claim
};
BOOST_DESCRIBE_STRUCT(open_ticket_args, (), (subject, user_id, tenant))
// [open_ticket_args]

extern const char* const add_task_schema_json;  // the schema json_schema_for<add_task_args>() generates

agents::function_tool weather_tool();
agents::function_tool add_task_tool();
agents::function_tool get_orders_tool();
agents::function_tool open_ticket_tool();
agents::function_tool slow_lookup_tool();
agents::run_options quiet_tool_errors(agents::run_options options);

// ---- runner.cpp ----
agents::agent make_assistant(std::vector<agents::function_tool> tools);
agents::agent make_greeter();
asio::awaitable<std::string> ask(const agents::agent& a, std::shared_ptr<agents::model> model,
                                 const chatkit::request_context& caller, std::string question,
                                 std::ostream& out);
asio::awaitable<std::string> two_turns(const agents::agent& a, std::shared_ptr<agents::model> model,
                                       const chatkit::request_context& caller);
asio::awaitable<std::string> ask_with_deadline(agents::run_stream& run, std::chrono::milliseconds limit);
asio::awaitable<std::string> answer_or_apology(const agents::agent& a, std::string question,
                                               agents::run_context& ctx, agents::run_options options);

class trace_hooks : public agents::run_hooks {
 public:
  asio::awaitable<void> on_llm_start(agents::run_context&, const agents::agent&, const std::string&,
                                     const json::array& input) override;
  asio::awaitable<void> on_tool_start(agents::run_context&, const agents::agent&,
                                      const agents::function_tool& tool,
                                      const json::object& arguments) override;
  asio::awaitable<void> on_tool_end(agents::run_context&, const agents::agent&,
                                    const agents::function_tool& tool,
                                    const agents::tool_output& result) override;
  asio::awaitable<void> on_agent_end(agents::run_context&, const agents::agent&,
                                     const json::value& output) override;

  std::vector<std::string> lines;
};

// ---- model.cpp ----
// A model that answers from a script: call N returns outputs[N] (a list of Responses output items).
// model.cpp [chat_model]
std::shared_ptr<agents::model> make_chat_model();

class replay_model final : public agents::model {
 public:
  explicit replay_model(std::vector<json::array> outputs);
  asio::awaitable<std::unique_ptr<agents::model_stream>> stream(json::object request) override;

  std::vector<json::object> requests;  // every request body received, in order

 private:
  std::vector<json::array> outputs_;
};
json::object message_item(std::string id, std::string text);
json::object function_call_item(std::string call_id, std::string name, std::string arguments);

// ---- chatkit.cpp ----
agents::function_tool search_docs_tool();
agents::function_tool show_task_card_tool();
agents::function_tool get_selection_tool();
// The two servers of the page (support_server: an agent_server subclass; my_bot: stream_agent_response by hand).
std::vector<std::shared_ptr<chatkit::server::chatkit_server>> make_servers(
    std::shared_ptr<chatkit::store::store> store, std::shared_ptr<agents::model> model);

}  // namespace snippets
