// agent_context — what a tool sees of the ChatKit turn it runs in (docs/agents.md#tools-that-drive-the-ui):
// the thread, the store, the authenticated caller, and helpers that put ChatKit events on the stream
// (progress as workflow tasks, widgets, a client tool call that hands the turn to the browser). Helpers
// enqueue; the stream_agent_response merges the queue with the model's events in arrival order.
//
//   co_await c.run.chatkit().add_workflow_task(protocol::custom_task{.title = "Searching tasks…",
//                                                                     .status_indicator = loading});
#pragma once

#include <chatkit/agents/tool.hpp>
#include <chatkit/protocol/events.hpp>
#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/request_context.hpp>
#include <chatkit/store/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace chatkit::agents {

namespace detail {
class event_queue;
}

// A call the browser must make (a client tool): becomes a pending client_tool_call item that ends the turn.
struct client_tool_call_request {
  std::string name;
  boost::json::object arguments;
  // The model's call_id of the function call the browser answers (the requesting tool's own call); empty when
  // the request did not say. The pending item takes this call_id and the id of that function_call item.
  std::string call_id;
};

class agent_context {
 public:
  // All three must outlive the context.
  agent_context(protocol::thread_metadata& thread, store::store& store, const request_context& caller);
  ~agent_context();
  agent_context(const agent_context&) = delete;
  agent_context& operator=(const agent_context&) = delete;

  protocol::thread_metadata& thread;
  store::store& store;
  const request_context& caller;
  std::optional<std::string> previous_response_id;

  // Mutable slots.
  std::optional<client_tool_call_request> client_tool_call;
  std::optional<protocol::workflow_item> workflow_item;
  std::optional<protocol::generated_image_item> generated_image_item;

  // ---- helpers for tools ----
  // Any ChatKit event, forwarded in arrival order.
  boost::asio::awaitable<void> stream(protocol::stream_event event);
  // A widget item, added and done at once.
  boost::asio::awaitable<void> stream_widget(protocol::widget_root widget,
                                             std::optional<std::string> copy_text = std::nullopt);
  // Opens a workflow (wf_… id, now). Announced at once when it is a reasoning workflow or already has tasks,
  // else with its first task. Ends an open one first.
  boost::asio::awaitable<void> start_workflow(protocol::workflow wf);
  // Appends a task (opening a custom workflow when none is open).
  boost::asio::awaitable<void> add_workflow_task(protocol::task task);
  // Replaces task `index` of the open workflow (errc::conflict-free: throws user_error without one).
  boost::asio::awaitable<void> update_workflow_task(protocol::task task, std::size_t index);
  // Closes the open workflow: summary = given, else kept, else {"duration": whole seconds since created_at}.
  boost::asio::awaitable<void> end_workflow(std::optional<protocol::workflow_summary> summary = std::nullopt,
                                            bool expanded = false);
  // Hands the turn to the browser after the current tool (register that tool with ends_run = true, or use
  // client_tool()). `tool` is the requesting tool's context: the pending item answers that very model call
  // (its call_id and function_call item id), whatever other calls the model made in the same response.
  // One per turn: a second request throws user_error.
  void request_client_tool_call(const tool_context& tool, std::string name, boost::json::object arguments);
  // The same without the tool's context: the pending item answers the latest model call named `name`, or gets
  // new ids when there is none (docs/agents.md#client-tool-calls).
  void request_client_tool_call(std::string name, boost::json::object arguments);

  // A new item id from the store's generator.
  std::string new_item_id(store::id_kind kind);

  // ---- used by stream_agent_response ----
  detail::event_queue& queue();
  void attach_queue(std::unique_ptr<detail::event_queue> q);

 private:
  std::unique_ptr<detail::event_queue> queue_;
};

// A client tool: when the model calls it, the arguments (validated against `schema`, normalised to strict
// form) become a pending client_tool_call item and the turn ends; the browser answers with
// threads.add_client_tool_output and the next turn sees the call and its output.
function_tool client_tool(std::string name, std::string description, boost::json::object schema);

}  // namespace chatkit::agents
