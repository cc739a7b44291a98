// Errors of the agents layer: one error_code category ("chatkit.agents") with one errc per kind of
// failure, and typed exceptions (derived from boost::system::system_error, carrying those codes) for
// callers that catch by type. A run ends with one of the run errors (delivered by run_stream::next() after
// every event queued before the failure); registration mistakes throw user_error at once;
// tool_argument_error is what a tool throws for arguments it cannot accept (the runner turns it into a
// sentence the model sees, docs/tools.md#tool-errors-what-the-model-sees).
//
//   catch (const agents::agent_error& e) {
//     if (e.code() == agents::errc::max_turns_exceeded) ...  // or catch (const agents::max_turns_exceeded&)
//   }
//
// what() is the message alone, without the " [chatkit.agents:N]" suffix system_error would append.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace chatkit::agents {

enum class errc {
  ok = 0,
  user_error = 1,      // a misuse of the API: registration mistakes, no model configured (user_error)
  max_turns_exceeded,  // the run needed more model calls than max_turns (max_turns_exceeded)
  model_behavior,      // unknown or disabled tool called, no terminal event, refusal (model_behavior_error)
  model_response,      // the model answered response.failed / response.incomplete (model_response_error)
  tool_timeout,        // a tool ran past its timeout with raise_exception (tool_timeout_error)
  invalid_tool_arguments,  // a tool refused its arguments (tool_argument_error; never ends a run)
};

const boost::system::error_category& agents_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), agents_category()};
}

namespace detail {
// A system_error whose what() is the message alone.
class message_error : public boost::system::system_error {
 public:
  message_error(errc code, std::string message)
      : boost::system::system_error(make_error_code(code), message), message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  errc code_value() const noexcept { return static_cast<errc>(code().value()); }

 private:
  std::string message_;
};
}  // namespace detail

// Base of every error a run can end with.
class agent_error : public detail::message_error {
 public:
  using detail::message_error::message_error;
};

// A misuse of the API detected at registration or run start (bad tool name, duplicate parameter, a bound
// parameter without a binder, no model configured, ...).
class user_error : public agent_error {
 public:
  explicit user_error(std::string message) : agent_error(errc::user_error, std::move(message)) {}
};

// The run needed more than max_turns model calls.
class max_turns_exceeded : public agent_error {
 public:
  explicit max_turns_exceeded(std::size_t max_turns)
      : agent_error(errc::max_turns_exceeded, "max turns (" + std::to_string(max_turns) + ") exceeded"),
        max_turns_(max_turns) {}
  std::size_t max_turns() const noexcept { return max_turns_; }

 private:
  std::size_t max_turns_;
};

// The model did something the run cannot continue from: called an unknown or disabled tool, produced
// no terminal event, refused.
class model_behavior_error : public agent_error {
 public:
  explicit model_behavior_error(std::string message)
      : agent_error(errc::model_behavior, std::move(message)) {}
};

// The model's final message was a refusal; refusal() is its text. A model_behavior_error, so code that catches
// those keeps working; catch this one first to tell a refusal apart.
class model_refusal_error : public model_behavior_error {
 public:
  explicit model_refusal_error(std::string refusal)
      : model_behavior_error("the model refused: " + refusal), refusal_(std::move(refusal)) {}
  const std::string& refusal() const noexcept { return refusal_; }

 private:
  std::string refusal_;
};

// The model answered response.failed or response.incomplete.
class model_response_error : public agent_error {
 public:
  model_response_error(std::string status, std::string code, const std::string& message)
      : agent_error(errc::model_response, "model response " + status +
                                              (code.empty() ? "" : " (" + code + ")") +
                                              (message.empty() ? "" : ": " + message)),
        status_(std::move(status)),
        code_(std::move(code)) {}
  const std::string& status() const noexcept { return status_; }  // "failed" or "incomplete"
  const std::string& reason() const noexcept { return code_; }    // error code or incomplete reason

 private:
  std::string status_;
  std::string code_;
};

// A tool ran past its timeout and its timeout_behavior is raise_exception.
class tool_timeout_error : public agent_error {
 public:
  tool_timeout_error(const std::string& tool, double seconds)
      : agent_error(errc::tool_timeout,
                    "tool '" + tool + "' timed out after " + std::to_string(seconds) + " s"),
        tool_(tool) {}
  const std::string& tool() const noexcept { return tool_; }

 private:
  std::string tool_;
};

// Thrown by a tool (or a tool wrapper) when the arguments are unacceptable: not the schema's shape, a
// value out of range, a parameter the model may not set. `what()` is the detail the model is shown, e.g.
// `$.limit: expected integer or null, got string`. Not a run error: the model gets to try again.
class tool_argument_error : public detail::message_error {
 public:
  explicit tool_argument_error(std::string message)
      : detail::message_error(errc::invalid_tool_arguments, std::move(message)) {}
};

}  // namespace chatkit::agents

template <>
struct boost::system::is_error_code_enum<chatkit::agents::errc> : std::true_type {};
