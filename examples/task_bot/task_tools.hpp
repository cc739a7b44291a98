// The six chat tools of the task bot, typed from described structs and bound to the signed-in user with
// agents::bind_user_id() (docs/task-bot.md, isolation level 2): the model never sees `user_id`, and a call
// that carries one is refused. Tasks are named by id or by an unambiguous title; an unknown or ambiguous
// reference is answered with a sentence for the model, never with another user's task.
//
// Each tool answers with a JSON object whose "message" is a short sentence for the user (the demo model
// repeats it) and, when it concerns tasks, "task" or "tasks".
#pragma once

#include "task.hpp"
#include "task_service.hpp"

#include <chatkit/agents/json_schema.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/describe/class.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace task_bot {

struct add_task_args {
  std::string title;
  std::optional<std::string> description;
  std::optional<task_priority> priority;
  std::optional<std::string> due_date;
  std::string user_id;  // bound to the caller
  static constexpr chatkit::agents::field_doc field_docs[] = {
      {"title", "What to do, in a few words"},
      {"description", "Optional details"},
      {"priority", "low, medium or high (default medium)"},
      {"due_date", "Due date YYYY-MM-DD, or null"}};
};
BOOST_DESCRIBE_STRUCT(add_task_args, (), (title, description, priority, due_date, user_id))

struct list_tasks_args {
  std::optional<task_status> status;
  std::optional<task_priority> priority;
  std::optional<std::string> search;
  std::string user_id;
  static constexpr chatkit::agents::field_doc field_docs[] = {
      {"status", "Only tasks with this status"},
      {"priority", "Only tasks with this priority"},
      {"search", "Only tasks whose title or description contains this text"}};
};
BOOST_DESCRIBE_STRUCT(list_tasks_args, (), (status, priority, search, user_id))

// get_task, complete_task and delete_task: one task, by id or title.
struct task_ref_args {
  std::string task;
  std::string user_id;
  static constexpr chatkit::agents::field_doc field_docs[] = {{"task", "The task's id, or its title"}};
};
BOOST_DESCRIBE_STRUCT(task_ref_args, (), (task, user_id))

struct update_task_args {
  std::string task;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<task_status> status;
  std::optional<task_priority> priority;
  std::optional<std::string> due_date;
  std::string user_id;
  static constexpr chatkit::agents::field_doc field_docs[] = {
      {"task", "The task's id, or its current title"},
      {"title", "New title, or null to keep it"},
      {"description", "New description, or null to keep it"},
      {"status", "New status, or null to keep it"},
      {"priority", "New priority, or null to keep it"},
      {"due_date", "New due date YYYY-MM-DD, or null to keep it"}};
};
BOOST_DESCRIBE_STRUCT(update_task_args, (), (task, title, description, status, priority, due_date, user_id))

// Finds the caller's task named by `ref`: an id, else a title (case-insensitive, exact before
// substring). Either a task or the sentence explaining why none was chosen.
struct task_lookup {
  std::optional<task> found;
  std::string problem;
};
task_lookup find_task(task_service& tasks, const std::string& owner, const std::string& ref);

std::vector<chatkit::agents::function_tool> task_tools(std::shared_ptr<task_service> tasks);

// The agent's instructions.
std::string task_bot_instructions();

}  // namespace task_bot
