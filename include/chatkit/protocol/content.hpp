// User input parts, inference options, sources, annotations and assistant content (docs/protocol-reference.md#thread-items).
#pragma once

#include <chatkit/protocol/json_io.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chatkit::protocol {

// ---- user input -------------------------------------------------------------------------------------------

struct input_text {
  static constexpr std::string_view type_name = "input_text";
  std::string text;
};
BOOST_DESCRIBE_STRUCT(input_text, (), (text))

struct input_tag {
  static constexpr std::string_view type_name = "input_tag";
  static constexpr std::string_view defaulted_fields[] = {"interactive"};
  std::string id;
  std::string text;
  boost::json::object data;
  std::optional<std::string> group;
  bool interactive = false;
};
BOOST_DESCRIBE_STRUCT(input_tag, (), (id, text, data, group, interactive))

using user_content = std::variant<input_text, input_tag>;

struct tool_choice {
  std::string id;
};
BOOST_DESCRIBE_STRUCT(tool_choice, (), (id))

struct inference_options {
  std::optional<struct tool_choice> tool_choice;
  std::optional<std::string> model;
};
BOOST_DESCRIBE_STRUCT(inference_options, (), (tool_choice, model))

// ---- sources and annotations
// --------------------------------------------------------------------------------

struct url_source {
  static constexpr std::string_view type_name = "url";
  std::string title;
  std::optional<std::string> description;
  std::optional<std::string> timestamp;
  std::optional<std::string> group;
  std::string url;
  std::optional<std::string> attribution;
};
BOOST_DESCRIBE_STRUCT(url_source, (), (title, description, timestamp, group, url, attribution))

struct file_source {
  static constexpr std::string_view type_name = "file";
  std::string title;
  std::optional<std::string> description;
  std::optional<std::string> timestamp;
  std::optional<std::string> group;
  std::string filename;
};
BOOST_DESCRIBE_STRUCT(file_source, (), (title, description, timestamp, group, filename))

struct entity_source {
  static constexpr std::string_view type_name = "entity";
  static constexpr std::string_view defaulted_fields[] = {"interactive", "data"};
  std::string title;
  std::optional<std::string> description;
  std::optional<std::string> timestamp;
  std::optional<std::string> group;
  std::string id;
  std::optional<std::string> icon;
  std::optional<std::string> label;
  std::optional<std::string> inline_label;
  bool interactive = false;
  boost::json::object data;
  std::optional<std::string> preview;  // deprecated; only "lazy"
};
BOOST_DESCRIBE_STRUCT(entity_source, (),
                      (title, description, timestamp, group, id, icon, label, inline_label, interactive, data,
                       preview))

using source = std::variant<url_source, file_source, entity_source>;

struct annotation {
  static constexpr std::string_view type_name = "annotation";
  protocol::source source;
  std::optional<std::int64_t> index;  // character offset in the text
};
BOOST_DESCRIBE_STRUCT(annotation, (), (source, index))

// The one assistant content part type. Written as {"annotations":[...],"text":"...","type":"output_text"}.
struct output_text {
  static constexpr std::string_view type_name = "output_text";
  static constexpr int type_position = -1;  // the reference writes `type` last
  static constexpr std::string_view defaulted_fields[] = {"annotations"};
  std::vector<annotation> annotations;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(output_text, (), (annotations, text))

using assistant_content = output_text;

CHATKIT_PROTOCOL_TYPE(input_text)
CHATKIT_PROTOCOL_TYPE(input_tag)
CHATKIT_PROTOCOL_TYPE(user_content)
CHATKIT_PROTOCOL_TYPE(tool_choice)
CHATKIT_PROTOCOL_TYPE(inference_options)
CHATKIT_PROTOCOL_TYPE(url_source)
CHATKIT_PROTOCOL_TYPE(file_source)
CHATKIT_PROTOCOL_TYPE(entity_source)
CHATKIT_PROTOCOL_TYPE(source)
CHATKIT_PROTOCOL_TYPE(annotation)
CHATKIT_PROTOCOL_TYPE(output_text)

}  // namespace chatkit::protocol
