// Structured input requests and submissions (docs/protocol-reference.md#thread-items).
#pragma once

#include <chatkit/protocol/json_io.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chatkit::protocol {

enum class structured_input_status { pending, answered, skipped };
BOOST_DESCRIBE_ENUM(structured_input_status, pending, answered, skipped)

struct input_answer {
  static constexpr std::string_view defaulted_fields[] = {"values", "skipped"};
  std::vector<std::string> values;
  bool skipped = false;
};
BOOST_DESCRIBE_STRUCT(input_answer, (), (values, skipped))

struct choice_option {
  std::string value;
};
BOOST_DESCRIBE_STRUCT(choice_option, (), (value))

struct multiple_choice_input {
  static constexpr std::string_view type_name = "multiple_choice";
  static constexpr std::string_view defaulted_fields[] = {"multiple"};
  std::string id;
  std::string question;
  std::optional<input_answer> answer;
  std::vector<choice_option> options;
  bool multiple = false;
};
BOOST_DESCRIBE_STRUCT(multiple_choice_input, (), (id, question, answer, options, multiple))

struct freeform_input {
  static constexpr std::string_view type_name = "freeform";
  std::string id;
  std::string question;
  std::optional<input_answer> answer;
  std::optional<std::string> description;
};
BOOST_DESCRIBE_STRUCT(freeform_input, (), (id, question, answer, description))

using structured_question = std::variant<multiple_choice_input, freeform_input>;

// What the client submits for a structured_input item (params.input of threads.add_structured_input).
enum class submission_status { answered, skipped };
BOOST_DESCRIBE_ENUM(submission_status, answered, skipped)

struct structured_input_submission {
  static constexpr std::string_view defaulted_fields[] = {"status", "answers"};
  submission_status status = submission_status::answered;
  std::map<std::string, input_answer, std::less<>> answers;
};
BOOST_DESCRIBE_STRUCT(structured_input_submission, (), (status, answers))

CHATKIT_PROTOCOL_TYPE(input_answer)
CHATKIT_PROTOCOL_TYPE(structured_question)
CHATKIT_PROTOCOL_TYPE(structured_input_submission)

}  // namespace chatkit::protocol
