// agent_context helpers: they only enqueue; stream_agent_response forwards.
#include "agents/detail/event_queue.hpp"

#include <chatkit/agents/agent_context.hpp>
#include <chatkit/agents/error.hpp>

#include <boost/asio/use_awaitable.hpp>

namespace chatkit::agents {

namespace cp = chatkit::protocol;
using boost::asio::awaitable;

namespace detail {

awaitable<void> event_queue::push(queue_message m) {
  co_await channel_.async_send(boost::system::error_code{}, std::move(m), boost::asio::use_awaitable);
}

awaitable<queue_message> event_queue::pop() {
  co_return co_await channel_.async_receive(boost::asio::use_awaitable);
}

}  // namespace detail

agent_context::agent_context(cp::thread_metadata& t, store::store& s, const request_context& c)
    : thread(t), store(s), caller(c) {}
agent_context::~agent_context() = default;

detail::event_queue& agent_context::queue() {
  if (!queue_) throw user_error("agent_context: no ChatKit stream is running (use stream_agent_response)");
  return *queue_;
}

void agent_context::attach_queue(std::unique_ptr<detail::event_queue> q) {
  queue_ = std::move(q);
}

std::string agent_context::new_item_id(store::id_kind kind) {
  return store.generate_item_id(kind, thread, caller);
}

awaitable<void> agent_context::stream(cp::stream_event event) {
  co_await queue().push(std::move(event));
}

awaitable<void> agent_context::stream_widget(cp::widget_root widget, std::optional<std::string> copy_text) {
  cp::widget_item item;
  item.id = new_item_id(store::id_kind::message);
  item.thread_id = thread.id;
  item.created_at = cp::timestamp::now();
  item.widget = std::move(widget);
  item.copy_text = std::move(copy_text);
  co_await stream(cp::item_added_event{item});
  co_await stream(cp::item_done_event{std::move(item)});
}

awaitable<void> agent_context::start_workflow(cp::workflow wf) {
  if (workflow_item) co_await end_workflow();
  cp::workflow_item item;
  item.id = new_item_id(store::id_kind::workflow);
  item.thread_id = thread.id;
  item.created_at = cp::timestamp::now();
  item.workflow = std::move(wf);
  workflow_item = item;
  // A custom workflow without tasks would show as an empty box: it is announced with its first task.
  if (item.workflow.type == cp::workflow_type::reasoning || !item.workflow.tasks.empty())
    co_await stream(cp::item_added_event{std::move(item)});
}

awaitable<void> agent_context::add_workflow_task(cp::task task) {
  if (!workflow_item) {
    cp::workflow_item item;
    item.id = new_item_id(store::id_kind::workflow);
    item.thread_id = thread.id;
    item.created_at = cp::timestamp::now();
    item.workflow.type = cp::workflow_type::custom;
    workflow_item = std::move(item);
  }
  auto& wf = workflow_item->workflow;
  wf.tasks.push_back(task);
  if (wf.type != cp::workflow_type::reasoning && wf.tasks.size() == 1) {
    co_await stream(cp::item_added_event{*workflow_item});
  } else {
    co_await stream(cp::item_updated_event{
        workflow_item->id,
        cp::workflow_task_added{static_cast<std::int64_t>(wf.tasks.size() - 1), std::move(task)}});
  }
}

awaitable<void> agent_context::update_workflow_task(cp::task task, std::size_t index) {
  if (!workflow_item) throw user_error("update_workflow_task: no workflow is open");
  auto& tasks = workflow_item->workflow.tasks;
  if (index >= tasks.size())
    throw user_error("update_workflow_task: index " + std::to_string(index) + " is out of range");
  tasks[index] = task;
  co_await stream(cp::item_updated_event{
      workflow_item->id, cp::workflow_task_updated{static_cast<std::int64_t>(index), std::move(task)}});
}

awaitable<void> agent_context::end_workflow(std::optional<cp::workflow_summary> summary, bool expanded) {
  if (!workflow_item) co_return;
  auto item = std::move(*workflow_item);
  workflow_item.reset();
  if (summary) {
    item.workflow.summary = std::move(summary);
  } else if (!item.workflow.summary) {
    const auto elapsed = cp::timestamp::now().micros - item.created_at.micros;
    item.workflow.summary = cp::duration_summary{elapsed > 0 ? elapsed / 1'000'000 : 0};
  }
  item.workflow.expanded = expanded;
  co_await stream(cp::item_done_event{std::move(item)});
}

void agent_context::request_client_tool_call(const tool_context& tool, std::string name,
                                             boost::json::object arguments) {
  if (client_tool_call)
    throw user_error("only one client tool call per turn ('" + client_tool_call->name + "' is pending)");
  client_tool_call =
      client_tool_call_request{std::move(name), std::move(arguments), std::string(tool.call_id)};
}

void agent_context::request_client_tool_call(std::string name, boost::json::object arguments) {
  if (client_tool_call)
    throw user_error("only one client tool call per turn ('" + client_tool_call->name + "' is pending)");
  client_tool_call = client_tool_call_request{std::move(name), std::move(arguments), {}};
}

function_tool client_tool(std::string name, std::string description, boost::json::object schema) {
  auto tool_name = name;
  auto tool = make_tool(std::move(name), std::move(description), std::move(schema),
                        [tool_name](tool_context& ctx, boost::json::object args) -> awaitable<tool_output> {
                          ctx.run.chatkit().request_client_tool_call(ctx, tool_name, std::move(args));
                          co_return tool_output("The user's client is handling this call.");
                        });
  tool.ends_run = true;
  return tool;
}

}  // namespace chatkit::agents
