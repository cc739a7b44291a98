// docs/agents.md: tools that talk to the ChatKit UI (workflows, widgets, client tool calls), and the
// ChatKit side of a run (agent_server customisation, stream_agent_response in your own server, the history converter).
#include "snippets.hpp"

#include <chatkit/agents/agent_context.hpp>
#include <chatkit/agents/stream_agent_response.hpp>
#include <chatkit/agents/tool_builder.hpp>
#include <chatkit/protocol.hpp>
#include <chatkit/server/chatkit_server.hpp>

#include <algorithm>
#include <cstdio>

namespace snippets {

namespace cp = chatkit::protocol;

// [workflow_tool]
agents::function_tool search_docs_tool() {
  return agents::tool_builder("search_docs", "Search the product documentation.")
      .param<std::string>("query", "What to look for")
      .handler([](const agents::tool_args& a,
                  agents::tool_context& c) -> asio::awaitable<agents::tool_output> {
        agents::agent_context& ui = c.run.chatkit();  // throws user_error outside a ChatKit turn
        const auto query = a.get<std::string>("query");
        cp::custom_task searching;
        searching.title = "Searching for " + query;
        searching.status_indicator = cp::status_indicator::loading;
        co_await ui.add_workflow_task(searching);  // opens a custom workflow, shown at once

        json::array hits = {"docs/agents.md#tools", "docs/tools.md#isolation"};  // a real search goes here

        searching.status_indicator = cp::status_indicator::complete;
        co_await ui.update_workflow_task(searching, 0);
        co_await ui.end_workflow(cp::custom_summary{"Searched the docs", std::nullopt});
        co_return json::value(std::move(hits));
      });
}
// [workflow_tool]

// [widget_tool]
agents::function_tool show_task_card_tool() {
  return agents::tool_builder("show_task_card", "Show a task as a card in the chat.")
      .param<std::string>("title", "The task title")
      .handler([](const agents::tool_args& a, agents::tool_context& c) -> asio::awaitable<std::string> {
        const auto title = a.get<std::string>("title");
        json::object card{{"type", "Card"}, {"children", json::array{{{"type", "Text"}, {"value", title}}}}};
        co_await c.run.chatkit().stream_widget(cp::widget_root{std::move(card)}, title);  // item added + done
        co_return "The card is shown; do not repeat its content.";
      });
}
// [widget_tool]

// [client_tool]
agents::function_tool get_selection_tool() {
  // When the model calls it, the arguments (checked against the schema) become a pending client_tool_call
  // item and the turn ends; the browser answers with threads.add_client_tool_output, which starts the
  // next turn.
  return agents::client_tool("get_selection", "Read the text the user selected in the editor.",
                             json::parse(R"({"type": "object",
                                             "properties": {"format": {"type": "string", "enum": ["text", "html"]}}})")
                                 .as_object());
}
// [client_tool]

// [agent_server_subclass]
// An agent_server that gives admins an extra tool, shares one database handle with the tools and audits
// attempts to set bound parameters.
struct app_state {
  std::string database_url;
};

class support_server : public agents::agent_server {
 public:
  support_server(std::shared_ptr<chatkit::store::store> store, agents::agent a,
                 agents::agent_server_options o, std::shared_ptr<app_state> state)
      : agent_server(std::move(store), std::move(a), std::move(o)), state_(std::move(state)) {}

 protected:
  asio::awaitable<agents::agent> agent_for(const chatkit::server::respond_args& args) override {
    agents::agent a = agent();  // a copy: per-turn changes stay in this turn
    const json::value* role = args.ctx.claims.if_contains("role");
    if (role && *role == "admin") a.tools.push_back(get_orders_tool());
    co_return a;
  }

  void prepare(agents::run_context& ctx, const chatkit::server::respond_args&) override {
    ctx.app_data = state_;  // tools read it with c.run.app<app_state>()
    ctx.on_binding_violation = [](const agents::binding_violation& v) {
      std::fprintf(stderr, "audit: %s tried to set %.*s of %.*s\n", v.caller.user_id.c_str(),
                   static_cast<int>(v.parameter.size()), v.parameter.data(), static_cast<int>(v.tool.size()),
                   v.tool.data());
    };
  }

 private:
  std::shared_ptr<app_state> state_;
};
// [agent_server_subclass]

// [own_stream_agent_response]
// stream_agent_response inside your own chatkit_server, when agent_server's turn is not the one you want.
class my_bot : public chatkit::server::chatkit_server {
 public:
  my_bot(std::shared_ptr<chatkit::store::store> store, agents::agent a, std::shared_ptr<agents::model> model)
      : chatkit_server(std::move(store)), agent_(std::move(a)), model_(std::move(model)) {}

 protected:
  asio::awaitable<void> respond(chatkit::server::respond_args args,
                                chatkit::server::event_emitter& out) override {
    // The last 20 items of the thread, oldest first, as model input.
    auto page =
        co_await store().load_thread_items(args.thread.id, std::nullopt, 20, cp::sort_order::desc, args.ctx);
    std::reverse(page.data.begin(), page.data.end());
    json::array input = co_await agents::thread_item_converter{}.to_agent_input(page.data);

    agents::agent_context chatkit(args.thread, store(), args.ctx);  // what tools see of the turn
    agents::run_context ctx(args.ctx, &chatkit);
    agents::run_options options;
    options.model = model_;
    auto run = agents::run_streamed(agent_, std::move(input), ctx, std::move(options));
    co_await agents::stream_agent_response(chatkit, run, out);  // ChatKit events, persisted by the pipeline
  }

 private:
  agents::agent agent_;
  std::shared_ptr<agents::model> model_;
};
// [own_stream_agent_response]

// [converter]
// Attachments have no default conversion: say how your files reach the model.
struct my_converter : agents::thread_item_converter {
  asio::awaitable<json::object> attachment_to_message_content(const cp::attachment& a) override {
    if (a.type == cp::attachment_type::image && a.preview_url)
      co_return json::object{{"type", "input_image"}, {"image_url", *a.preview_url}, {"detail", "auto"}};
    co_return json::object{{"type", "input_text"}, {"text", "(attached file " + a.name + ")"}};
  }
};
// agents::agent_server_options o;  o.converter = std::make_shared<my_converter>();
// [converter]

std::vector<std::shared_ptr<chatkit::server::chatkit_server>> make_servers(
    std::shared_ptr<chatkit::store::store> store, std::shared_ptr<agents::model> model) {
  agents::agent_server_options o;
  o.run.model = model;
  o.converter = std::make_shared<my_converter>();
  return {
      std::make_shared<support_server>(store, make_assistant({search_docs_tool()}), std::move(o),
                                       std::make_shared<app_state>()),
      std::make_shared<my_bot>(store, make_assistant({show_task_card_tool(), get_selection_tool()}), model)};
}

}  // namespace snippets
