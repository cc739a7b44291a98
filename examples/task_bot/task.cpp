#include "task.hpp"

#include <chatkit/error.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>

namespace task_bot {
namespace json = boost::json;

namespace {

[[noreturn]] void bad(std::string_view field, std::string_view why) {
  throw chatkit::error(chatkit::errc::invalid_request, std::string(field) + ": " + std::string(why),
                       std::string(field));
}

std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string trimmed(std::string_view s) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

void check_title(std::string& title) {
  title = trimmed(title);
  const auto n = utf8_chars(title);
  if (n == 0 || n > max_title_chars) bad("title", "must be 1 to 200 characters");
}

void check_description(std::optional<std::string>& d) {
  if (d && utf8_chars(*d) > max_description_chars) bad("description", "must be at most 2000 characters");
}

void check_due_date(const std::optional<std::string>& d) {
  if (d && !is_iso_date(*d)) bad("due_date", "must be a date written YYYY-MM-DD, or null");
}

const json::object& body_object(const json::value& body) {
  if (!body.is_object()) bad("body", "must be a JSON object");
  return body.get_object();
}

std::string string_field(const json::value& v, std::string_view field) {
  if (!v.is_string()) bad(field, "must be a string");
  return std::string(v.get_string());
}

std::optional<std::string> nullable_string_field(const json::value& v, std::string_view field) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) bad(field, "must be a string or null");
  return std::string(v.get_string());
}

task_status status_field(const json::value& v) {
  auto s = v.is_string() ? parse_status(v.get_string()) : std::nullopt;
  if (!s) bad("status", "must be \"pending\" or \"completed\"");
  return *s;
}

task_priority priority_field(const json::value& v) {
  auto p = v.is_string() ? parse_priority(v.get_string()) : std::nullopt;
  if (!p) bad("priority", "must be \"low\", \"medium\" or \"high\"");
  return *p;
}

json::value nullable(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

std::optional<std::string> optional_string(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

std::string_view to_string(task_status s) noexcept {
  return s == task_status::completed ? "completed" : "pending";
}

std::string_view to_string(task_priority p) noexcept {
  switch (p) {
    case task_priority::low:
      return "low";
    case task_priority::high:
      return "high";
    case task_priority::medium:
      break;
  }
  return "medium";
}

std::optional<task_status> parse_status(std::string_view s) noexcept {
  if (s == "pending") return task_status::pending;
  if (s == "completed") return task_status::completed;
  return std::nullopt;
}

std::optional<task_priority> parse_priority(std::string_view s) noexcept {
  if (s == "low") return task_priority::low;
  if (s == "medium") return task_priority::medium;
  if (s == "high") return task_priority::high;
  return std::nullopt;
}

bool is_iso_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))));
  return std::chrono::year_month_day(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)).ok();
}

void normalize(new_task& t) {
  check_title(t.title);
  check_description(t.description);
  check_due_date(t.due_date);
}

void normalize(task_patch& p) {
  if (p.title) check_title(*p.title);
  if (p.description) check_description(*p.description);
  if (p.due_date) check_due_date(*p.due_date);
}

void apply(task& t, const task_patch& p) {
  if (p.title) t.title = *p.title;
  if (p.description) t.description = *p.description;
  if (p.status) t.status = *p.status;
  if (p.priority) t.priority = *p.priority;
  if (p.due_date) t.due_date = *p.due_date;
}

bool matches(const task& t, const task_filter& f) {
  if (f.status && t.status != *f.status) return false;
  if (f.priority && t.priority != *f.priority) return false;
  if (f.text && !f.text->empty()) {
    const auto needle = lower_ascii(*f.text);
    if (lower_ascii(t.title).find(needle) == std::string::npos &&
        (!t.description || lower_ascii(*t.description).find(needle) == std::string::npos))
      return false;
  }
  return true;
}

json::object to_json(const task& t) {
  return {{"id", t.id},
          {"title", t.title},
          {"description", nullable(t.description)},
          {"status", to_string(t.status)},
          {"priority", to_string(t.priority)},
          {"due_date", nullable(t.due_date)},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

task task_from_json(const json::object& o) {
  task t;
  t.id = optional_string(o, "id").value_or("");
  t.title = optional_string(o, "title").value_or("");
  t.description = optional_string(o, "description");
  t.status = parse_status(optional_string(o, "status").value_or("")).value_or(task_status::pending);
  t.priority = parse_priority(optional_string(o, "priority").value_or("")).value_or(task_priority::medium);
  t.due_date = optional_string(o, "due_date");
  t.created_at = optional_string(o, "created_at").value_or("");
  t.updated_at = optional_string(o, "updated_at").value_or("");
  return t;
}

new_task new_task_from_json(const json::value& body) {
  const auto& o = body_object(body);
  new_task t;
  bool has_title = false;
  for (const auto& [key, v] : o) {
    if (key == "title") {
      t.title = string_field(v, "title");
      has_title = true;
    } else if (key == "description") {
      t.description = nullable_string_field(v, "description");
    } else if (key == "status") {
      t.status = status_field(v);
    } else if (key == "priority") {
      t.priority = priority_field(v);
    } else if (key == "due_date") {
      t.due_date = nullable_string_field(v, "due_date");
    } else {
      bad(key, "unknown field");
    }
  }
  if (!has_title) bad("title", "is required");
  normalize(t);
  return t;
}

task_patch task_patch_from_json(const json::value& body) {
  const auto& o = body_object(body);
  task_patch p;
  for (const auto& [key, v] : o) {
    if (key == "title") {
      p.title = string_field(v, "title");
    } else if (key == "description") {
      p.description = nullable_string_field(v, "description");
    } else if (key == "status") {
      p.status = status_field(v);
    } else if (key == "priority") {
      p.priority = priority_field(v);
    } else if (key == "due_date") {
      p.due_date = nullable_string_field(v, "due_date");
    } else {
      bad(key, "unknown field");
    }
  }
  normalize(p);
  return p;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

task make_task(const new_task& n) {
  task t;
  t.id = make_task_id();
  t.title = n.title;
  t.description = n.description;
  t.status = n.status;
  t.priority = n.priority;
  t.due_date = n.due_date;
  t.created_at = t.updated_at = now_iso8601();
  return t;
}

std::string now_iso8601() {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto days = std::chrono::floor<std::chrono::days>(now);
  const std::chrono::year_month_day ymd(days);
  const std::chrono::hh_mm_ss hms(now - days);
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()),
                static_cast<long>(hms.subseconds().count()));
  return buf.data();
}

std::string make_task_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "task_%012llx%012llx",
                static_cast<unsigned long long>(rng() & 0xFFFFFFFFFFFFull),
                static_cast<unsigned long long>(rng() & 0xFFFFFFFFFFFFull));
  return buf.data();
}

}  // namespace task_bot
