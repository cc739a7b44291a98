#include "task_tools.hpp"

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/typed_tool.hpp>
#include <chatkit/error.hpp>

#include <algorithm>
#include <cctype>

namespace task_bot {
namespace json = boost::json;
namespace agents = chatkit::agents;

namespace {

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string describe(const task& t) {
  std::string s = quoted(t.title) + " (" + std::string(to_string(t.status));
  if (t.priority != task_priority::medium) s += ", " + std::string(to_string(t.priority)) + " priority";
  if (t.due_date) s += ", due " + *t.due_date;
  return s + ")";
}

json::object answer(std::string message) {
  return {{"message", std::move(message)}};
}

json::object answer(std::string message, const task& t) {
  return {{"message", std::move(message)}, {"task", to_json(t)}};
}

// Runs `f`, turning a validation error into a sentence for the model.
template <class F>
json::object checked(std::string_view doing, F f) {
  try {
    return f();
  } catch (const chatkit::error& e) {
    if (e.code_value() != chatkit::errc::invalid_request) throw;
    return answer("Could not " + std::string(doing) + ": " + e.message() + ".");
  }
}

std::optional<std::string> non_empty(const std::optional<std::string>& s) {
  if (s && s->empty()) return std::nullopt;
  return s;
}

}  // namespace

task_lookup find_task(task_service& tasks, const std::string& owner, const std::string& ref) {
  if (auto t = tasks.get(owner, ref)) return {std::move(t), {}};
  const auto all = tasks.list(owner, {});
  const auto wanted = lower_ascii(ref);
  std::vector<const task*> exact, partial;
  for (const auto& t : all) {
    const auto title = lower_ascii(t.title);
    if (title == wanted)
      exact.push_back(&t);
    else if (!wanted.empty() && title.find(wanted) != std::string::npos)
      partial.push_back(&t);
  }
  const auto& hits = exact.empty() ? partial : exact;
  if (hits.size() == 1) return {*hits.front(), {}};
  if (hits.empty()) return {std::nullopt, "There is no task " + quoted(ref) + "."};
  std::string s = "Several tasks match " + quoted(ref) + ": ";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i) s += ", ";
    s += describe(*hits[i]) + " [id " + hits[i]->id + "]";
  }
  return {std::nullopt, s + ". Which one do you mean?"};
}

std::vector<agents::function_tool> task_tools(std::shared_ptr<task_service> tasks) {
  std::vector<agents::function_tool> tools;

  tools.push_back(agents::typed_tool<add_task_args>("add_task", "Add a task to the user's list.",
                                                    [tasks](add_task_args a) {
                                                      return checked("add the task", [&] {
                                                        new_task n;
                                                        n.title = a.title;
                                                        n.description = non_empty(a.description);
                                                        n.priority =
                                                            a.priority.value_or(task_priority::medium);
                                                        n.due_date = non_empty(a.due_date);
                                                        const task t = tasks->create(a.user_id, std::move(n));
                                                        return answer("Added " + describe(t) + ".", t);
                                                      });
                                                    },
                                                    {agents::bind_user_id()}));

  tools.push_back(agents::typed_tool<list_tasks_args>(
      "list_tasks", "List the user's tasks, newest first, optionally filtered.",
      [tasks](list_tasks_args a) {
        const auto found = tasks->list(a.user_id, {a.status, a.priority, non_empty(a.search)});
        json::array items;
        std::string message;
        if (found.empty()) {
          message = "You have no matching tasks.";
        } else {
          message = "You have " + std::to_string(found.size()) + (found.size() == 1 ? " task: " : " tasks: ");
          for (std::size_t i = 0; i < found.size(); ++i) message += (i ? "; " : "") + describe(found[i]);
          message += ".";
        }
        for (const auto& t : found) items.push_back(to_json(t));
        return json::object{{"message", message}, {"tasks", std::move(items)}};
      },
      {agents::bind_user_id()}));

  tools.push_back(agents::typed_tool<task_ref_args>(
      "get_task", "Show one of the user's tasks.",
      [tasks](task_ref_args a) {
        auto hit = find_task(*tasks, a.user_id, a.task);
        if (!hit.found) return answer(hit.problem);
        const task& t = *hit.found;
        return answer(describe(t) + (t.description ? ": " + *t.description : "") + ".", t);
      },
      {agents::bind_user_id()}));

  tools.push_back(agents::typed_tool<update_task_args>(
      "update_task", "Change any of a task's fields; null fields stay as they are.",
      [tasks](update_task_args a) {
        auto hit = find_task(*tasks, a.user_id, a.task);
        if (!hit.found) return answer(hit.problem);
        return checked("update the task", [&] {
          task_patch p;
          p.title = a.title;
          if (a.description) p.description = non_empty(a.description);
          p.status = a.status;
          p.priority = a.priority;
          if (a.due_date) p.due_date = non_empty(a.due_date);
          auto t = tasks->update(a.user_id, hit.found->id, std::move(p));
          if (!t) return answer("There is no task " + quoted(a.task) + ".");
          return answer("Updated " + describe(*t) + ".", *t);
        });
      },
      {agents::bind_user_id()}));

  tools.push_back(
      agents::typed_tool<task_ref_args>("complete_task", "Mark one of the user's tasks as completed.",
                                        [tasks](task_ref_args a) {
                                          auto hit = find_task(*tasks, a.user_id, a.task);
                                          if (!hit.found) return answer(hit.problem);
                                          auto t = tasks->complete(a.user_id, hit.found->id);
                                          if (!t) return answer("There is no task " + quoted(a.task) + ".");
                                          return answer("Completed " + quoted(t->title) + ".", *t);
                                        },
                                        {agents::bind_user_id()}));

  tools.push_back(agents::typed_tool<task_ref_args>("delete_task", "Delete one of the user's tasks.",
                                                    [tasks](task_ref_args a) {
                                                      auto hit = find_task(*tasks, a.user_id, a.task);
                                                      if (!hit.found) return answer(hit.problem);
                                                      auto t = tasks->remove(a.user_id, hit.found->id);
                                                      if (!t)
                                                        return answer("There is no task " + quoted(a.task) +
                                                                      ".");
                                                      return answer("Deleted " + quoted(t->title) + ".", *t);
                                                    },
                                                    {agents::bind_user_id()}));

  return tools;
}

std::string task_bot_instructions() {
  return "You manage the signed-in user's task list with the task tools. Name tasks by id or title. "
         "After using tools, answer in one or two short sentences based on their results. Dates are "
         "YYYY-MM-DD.";
}

}  // namespace task_bot
