// The task of the task bot: its fields, their rules, and its JSON form (examples/task_bot/API.md).
// Validation lives here once; the REST API, the chat tools and the stores all rely on it.
#pragma once

#include <boost/describe/enum.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace task_bot {

enum class task_status { pending, completed };
BOOST_DESCRIBE_ENUM(task_status, pending, completed)

enum class task_priority { low, medium, high };
BOOST_DESCRIBE_ENUM(task_priority, low, medium, high)

inline constexpr std::size_t max_title_chars = 200;
inline constexpr std::size_t max_description_chars = 2000;

struct task {
  std::string id;
  std::string title;
  std::optional<std::string> description;
  task_status status = task_status::pending;
  task_priority priority = task_priority::medium;
  std::optional<std::string> due_date;  // YYYY-MM-DD
  std::string created_at;               // ISO 8601 UTC, millisecond precision
  std::string updated_at;
};

// What a caller may set when creating a task.
struct new_task {
  std::string title;
  std::optional<std::string> description;
  task_status status = task_status::pending;
  task_priority priority = task_priority::medium;
  std::optional<std::string> due_date;
};

// A change: each engaged member is applied. An engaged empty inner optional clears the field.
struct task_patch {
  std::optional<std::string> title;
  std::optional<std::optional<std::string>> description;
  std::optional<task_status> status;
  std::optional<task_priority> priority;
  std::optional<std::optional<std::string>> due_date;
};

struct task_filter {
  std::optional<task_status> status;
  std::optional<task_priority> priority;
  std::optional<std::string> text;  // case-insensitive substring of the title or the description
};

std::string_view to_string(task_status s) noexcept;
std::string_view to_string(task_priority p) noexcept;
std::optional<task_status> parse_status(std::string_view s) noexcept;
std::optional<task_priority> parse_priority(std::string_view s) noexcept;

// Whether `s` is a real calendar date written YYYY-MM-DD.
bool is_iso_date(std::string_view s) noexcept;

// Trims titles and checks every rule; throws chatkit::error(invalid_request) whose message starts with the
// field's name ("title: must be 1 to 200 characters").
void normalize(new_task& t);
void normalize(task_patch& p);

// Applies `p` to `t` (no validation, no timestamps).
void apply(task& t, const task_patch& p);
bool matches(const task& t, const task_filter& f);

boost::json::object to_json(const task& t);
task task_from_json(const boost::json::object& o);  // trusted input (a store's own column)

// Request bodies of the REST API; throw chatkit::error(invalid_request) naming the field.
new_task new_task_from_json(const boost::json::value& body);
task_patch task_patch_from_json(const boost::json::value& body);

// A stored task made of `n`: a fresh id, created_at = updated_at = now. The stores' create() use it.
task make_task(const new_task& n);

// `s` with A-Z turned into a-z (titles, filters and headers are compared this way).
std::string lower_ascii(std::string_view s);

// The current time, ISO 8601 UTC with milliseconds ("2026-11-29T21:03:04.123Z").
std::string now_iso8601();
// A fresh task id ("task_" + 24 hex digits).
std::string make_task_id();

}  // namespace task_bot
