#include "demo_phrasebook.hpp"

#include "task.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <regex>

namespace task_bot {
namespace json = boost::json;

namespace {

std::string trim(std::string_view s) {
  auto junk = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '.' || c == '!' || c == '?' ||
           c == ':' || c == '"' || c == '\'';
  };
  while (!s.empty() && junk(s.front())) s.remove_prefix(1);
  while (!s.empty() && junk(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string iso(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

constexpr auto icase = std::regex::icase | std::regex::ECMAScript;

// Removes the first match of `re` from `text` (keeping the text's case) and returns its group 1.
std::optional<std::string> take(std::string& text, const std::regex& re) {
  std::smatch m;
  if (!std::regex_search(text, m, re)) return std::nullopt;
  std::string g = m.size() > 1 ? m[1].str() : m[0].str();
  text = m.prefix().str() + " " + m.suffix().str();
  return g;
}

// Pulls "high priority", "tomorrow", "due 2026-12-01" out of a phrase; what is left is the title.
struct details {
  std::optional<std::string> priority;
  std::optional<std::string> due_date;
};

details take_details(std::string& text, std::chrono::sys_days today) {
  static const std::regex priority(
      R"((?:,|\band\b|\bwith\b|\bat\b|\s)*\b(high|medium|low)(?:\s+priority|\s+prio)\b)", icase);
  static const std::regex priority_first(R"((?:,|\s)*\bpriority\s+(high|medium|low)\b)", icase);
  static const std::regex date(R"((?:,|\band\b|\s)*(?:\b(?:due|on|by|for)\s+)?\b(\d{4}-\d{2}-\d{2})\b)",
                               icase);
  static const std::regex tomorrow(R"((?:,|\band\b|\s)*(?:\b(?:due|by|for)\s+)?\b(tomorrow)\b)", icase);
  static const std::regex today_re(R"((?:,|\band\b|\s)*(?:\b(?:due|by|for)\s+)?\b(today|tonight)\b)", icase);
  details d;
  if (auto p = take(text, priority))
    d.priority = lower_ascii(*p);
  else if (auto p2 = take(text, priority_first))
    d.priority = lower_ascii(*p2);
  if (auto x = take(text, date))
    d.due_date = *x;
  else if (take(text, tomorrow))
    d.due_date = iso(today + std::chrono::days(1));
  else if (take(text, today_re))
    d.due_date = iso(today);
  return d;
}

demo_call call(std::string name, json::object args) {
  return {std::move(name), std::move(args)};
}

std::optional<std::string> status_word(const std::string& l) {
  static const std::regex completed(R"(\b(completed|complete|done|finished)\b)", icase);
  static const std::regex pending(R"(\b(pending|open|unfinished|todo|to do|remaining)\b)", icase);
  if (std::regex_search(l, completed)) return "completed";
  if (std::regex_search(l, pending)) return "pending";
  return std::nullopt;
}

}  // namespace

std::optional<demo_call> interpret(std::string_view message, std::chrono::sys_days today) {
  std::string text = trim(message);
  static const std::regex polite(R"(^(?:please\s+|can you\s+|could you\s+|hey\s+)+)", icase);
  text = std::regex_replace(text, polite, "");
  const std::string l = lower_ascii(text);
  std::smatch m;

  static const std::regex add(
      R"(^(?:add|create|new|remember)\b(?:\s+(?:a|an|new|another))*(?:\s+(?:task|todo|to-do|item))?(?:\s*:|\s+to\b|\s+called\b|\s+named\b)?\s*(.*)$)",
      icase);
  static const std::regex remind(R"(^remind me to\s+(.*)$)", icase);
  static const std::regex list(
      R"(^(?:what|which|list|show|display|see|give me|get)\b.*\btasks?\b|^(?:my\s+)?tasks$|^what do i have)",
      icase);
  static const std::regex complete(
      R"(^(?:complete|finish|check off|tick off|close|i (?:have )?(?:finished|did|completed))\s+(?:the\s+task\s+)?(.+)$)",
      icase);
  static const std::regex mark(
      R"(^mark\s+(?:the\s+task\s+)?(.+?)\s+as\s+(done|complete|completed|finished|pending|not done|open)$)",
      icase);
  static const std::regex reopen(R"(^(?:reopen|uncomplete)\s+(?:the\s+task\s+)?(.+)$)", icase);
  static const std::regex remove(R"(^(?:delete|remove|drop|cancel|forget)\s+(?:the\s+task\s+)?(.+)$)", icase);
  static const std::regex rename(R"(^rename\s+(?:the\s+task\s+)?(.+?)\s+to\s+(.+)$)", icase);
  static const std::regex change(
      R"(^(?:change|set|make|update|move|give)\s+(?:the\s+task\s+)?(.+?)\s+(?:to|as)\s+(.+)$)", icase);
  static const std::regex show(R"(^(?:show|get|details of|describe)\s+(?:the\s+task\s+)?(.+)$)", icase);

  if (std::regex_match(text, m, remind) || std::regex_match(text, m, add)) {
    std::string rest = m[1].str();
    auto d = take_details(rest, today);
    json::object args{{"title", trim(rest)}};
    if (d.priority) args["priority"] = *d.priority;
    if (d.due_date) args["due_date"] = *d.due_date;
    if (trim(rest).empty()) return std::nullopt;
    return call("add_task", std::move(args));
  }
  if (std::regex_search(l, list)) {
    json::object args;
    if (auto s = status_word(l)) args["status"] = *s;
    static const std::regex prio(R"(\b(high|medium|low)(?:\s+priority|\s+prio)?\b)", icase);
    std::smatch pm;
    if (std::regex_search(l, pm, prio)) args["priority"] = lower_ascii(pm[1].str());
    return call("list_tasks", std::move(args));
  }
  if (std::regex_match(text, m, mark)) {
    const auto how = lower_ascii(m[2].str());
    if (how == "pending" || how == "not done" || how == "open")
      return call("update_task", {{"task", trim(m[1].str())}, {"status", "pending"}});
    return call("complete_task", {{"task", trim(m[1].str())}});
  }
  if (std::regex_match(text, m, complete)) return call("complete_task", {{"task", trim(m[1].str())}});
  if (std::regex_match(text, m, reopen))
    return call("update_task", {{"task", trim(m[1].str())}, {"status", "pending"}});
  if (std::regex_match(text, m, remove)) return call("delete_task", {{"task", trim(m[1].str())}});
  static const std::regex make_priority(
      R"(^(?:make|mark)\s+(?:the\s+task\s+)?(.+?)\s+(high|medium|low)(?:\s+priority)?$)", icase);
  if (std::regex_match(text, m, make_priority))
    return call("update_task", {{"task", trim(m[1].str())}, {"priority", lower_ascii(m[2].str())}});
  if (std::regex_match(text, m, rename))
    return call("update_task", {{"task", trim(m[1].str())}, {"title", trim(m[2].str())}});
  if (std::regex_match(text, m, change)) {
    std::string target = m[2].str();
    json::object args{{"task", trim(m[1].str())}};
    auto d = take_details(target, today);
    if (d.priority) args["priority"] = *d.priority;
    if (d.due_date) args["due_date"] = *d.due_date;
    if (auto s = status_word(lower_ascii(target)); s && !d.priority && !d.due_date) args["status"] = *s;
    if (args.size() == 1) return std::nullopt;
    return call("update_task", std::move(args));
  }
  if (std::regex_match(text, m, show)) return call("get_task", {{"task", trim(m[1].str())}});
  return std::nullopt;
}

std::string demo_help() {
  return "I am the demo model: I understand plain task commands such as \"add a task to buy milk tomorrow, "
         "high "
         "priority\", \"add a task: call mom\", \"what are my tasks\", \"list my completed tasks\", "
         "\"complete buy "
         "milk\", \"mark call mom as done\", \"change buy milk to low priority\", \"rename buy milk to buy "
         "oat "
         "milk\" and \"delete call mom\".";
}

namespace {

std::string message_text(const json::object& item) {
  const auto* content = item.if_contains("content");
  if (!content) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string text;
  if (content->is_array())
    for (const auto& part : content->get_array())
      if (part.is_object())
        if (const auto* t = part.get_object().if_contains("text"); t && t->is_string())
          text += t->get_string();
  return text;
}

// The sentence of a tool output: its "message" when it is our JSON, else the output itself.
std::string output_message(const json::value& output) {
  std::string raw = output.is_string() ? std::string(output.get_string()) : std::string{};
  boost::system::error_code ec;
  auto v = json::parse(raw, ec);
  if (!ec && v.is_object())
    if (const auto* m = v.get_object().if_contains("message"); m && m->is_string())
      return std::string(m->get_string());
  return raw;
}

// Every parameter of the tool's schema the call left out becomes null (strict schemas require them all).
void complete_arguments(demo_call& c, const json::object& request) {
  const auto* tools = request.if_contains("tools");
  if (!tools || !tools->is_array()) return;
  for (const auto& t : tools->get_array()) {
    if (!t.is_object()) continue;
    const auto& tool = t.get_object();
    const auto* name = tool.if_contains("name");
    if (!name || !name->is_string() || name->get_string() != c.name) continue;
    const auto* params = tool.if_contains("parameters");
    if (!params || !params->is_object()) continue;
    const auto* props = params->get_object().if_contains("properties");
    if (!props || !props->is_object()) continue;
    for (const auto& [key, schema] : props->get_object())
      if (!c.arguments.contains(key)) c.arguments[key] = nullptr;
  }
}

}  // namespace

demo_reply demo_reply_for(const json::object& request, std::chrono::sys_days today) {
  const auto* input = request.if_contains("input");
  std::vector<const json::object*> items;
  if (input && input->is_array())
    for (const auto& v : input->get_array())
      if (v.is_object()) items.push_back(&v.get_object());
  if (input && input->is_string()) {
    demo_reply r;
    if (auto c = interpret(input->get_string(), today)) {
      complete_arguments(*c, request);
      r.calls.push_back(std::move(*c));
    } else {
      r.text = demo_help();
    }
    return r;
  }

  // Tool outputs after the last user message: answer with their sentences.
  std::vector<std::string> outputs;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    const auto& item = **it;
    const auto* type = item.if_contains("type");
    if (type && type->is_string() && type->get_string() == "function_call_output") {
      if (const auto* o = item.if_contains("output")) outputs.insert(outputs.begin(), output_message(*o));
      continue;
    }
    const auto* role = item.if_contains("role");
    if (role && role->is_string() && role->get_string() == "user") {
      demo_reply r;
      if (!outputs.empty()) break;
      if (auto c = interpret(message_text(item), today)) {
        complete_arguments(*c, request);
        r.calls.push_back(std::move(*c));
      } else {
        r.text = demo_help();
      }
      return r;
    }
    if (!outputs.empty()) break;  // a function_call item: the outputs gathered so far are this turn's
  }
  demo_reply r;
  for (const auto& o : outputs) r.text += (r.text.empty() ? "" : " ") + o;
  if (r.text.empty()) r.text = demo_help();
  return r;
}

}  // namespace task_bot
