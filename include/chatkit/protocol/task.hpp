// Tasks and workflows (docs/protocol-reference.md#thread-items).
#pragma once

#include <chatkit/protocol/content.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chatkit::protocol {

enum class status_indicator { none, loading, complete };
BOOST_DESCRIBE_ENUM(status_indicator, none, loading, complete)

struct custom_task {
  static constexpr std::string_view type_name = "custom";
  static constexpr std::string_view defaulted_fields[] = {"status_indicator"};
  std::optional<std::string> title;
  std::optional<std::string> icon;
  std::optional<std::string> content;
  protocol::status_indicator status_indicator = status_indicator::none;
};
BOOST_DESCRIBE_STRUCT(custom_task, (), (title, icon, content, status_indicator))

struct web_search_task {
  static constexpr std::string_view type_name = "web_search";
  static constexpr std::string_view defaulted_fields[] = {"status_indicator", "queries", "sources"};
  std::optional<std::string> title;
  std::optional<std::string> title_query;
  std::vector<std::string> queries;
  std::vector<url_source> sources;
  protocol::status_indicator status_indicator = status_indicator::none;
};
BOOST_DESCRIBE_STRUCT(web_search_task, (), (title, title_query, queries, sources, status_indicator))

struct thought_task {
  static constexpr std::string_view type_name = "thought";
  static constexpr std::string_view defaulted_fields[] = {"status_indicator"};
  std::optional<std::string> title;
  std::string content;
  protocol::status_indicator status_indicator = status_indicator::none;
};
BOOST_DESCRIBE_STRUCT(thought_task, (), (title, content, status_indicator))

struct file_task {
  static constexpr std::string_view type_name = "file";
  static constexpr std::string_view defaulted_fields[] = {"status_indicator", "sources"};
  std::optional<std::string> title;
  std::vector<file_source> sources;
  protocol::status_indicator status_indicator = status_indicator::none;
};
BOOST_DESCRIBE_STRUCT(file_task, (), (title, sources, status_indicator))

struct image_task {
  static constexpr std::string_view type_name = "image";
  static constexpr std::string_view defaulted_fields[] = {"status_indicator"};
  std::optional<std::string> title;
  protocol::status_indicator status_indicator = status_indicator::none;
};
BOOST_DESCRIBE_STRUCT(image_task, (), (title, status_indicator))

using task = std::variant<custom_task, web_search_task, thought_task, file_task, image_task>;

enum class workflow_type { custom, reasoning };
BOOST_DESCRIBE_ENUM(workflow_type, custom, reasoning)

// A workflow summary is one of two untagged shapes: {"title","icon"?} or {"duration"}.
struct custom_summary {
  std::string title;
  std::optional<std::string> icon;
};
BOOST_DESCRIBE_STRUCT(custom_summary, (), (title, icon))

struct duration_summary {
  std::int64_t duration = 0;  // whole seconds
};
BOOST_DESCRIBE_STRUCT(duration_summary, (), (duration))

using workflow_summary = std::variant<custom_summary, duration_summary>;

struct workflow {
  static constexpr std::string_view defaulted_fields[] = {"tasks", "expanded"};
  workflow_type type = workflow_type::custom;
  std::vector<protocol::task> tasks;
  std::optional<workflow_summary> summary;
  bool expanded = false;
};
BOOST_DESCRIBE_STRUCT(workflow, (), (type, tasks, summary, expanded))

CHATKIT_PROTOCOL_TYPE(custom_task)
CHATKIT_PROTOCOL_TYPE(web_search_task)
CHATKIT_PROTOCOL_TYPE(thought_task)
CHATKIT_PROTOCOL_TYPE(file_task)
CHATKIT_PROTOCOL_TYPE(image_task)
CHATKIT_PROTOCOL_TYPE(task)
CHATKIT_PROTOCOL_TYPE(workflow_summary)
CHATKIT_PROTOCOL_TYPE(workflow)

}  // namespace chatkit::protocol
