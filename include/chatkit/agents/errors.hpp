// The exceptions of the agents layer. A run ends with one of the run errors (delivered by
// run_stream::next() after every event queued before the failure); registration mistakes throw
// user_error at once; tool_argument_error is what a tool throws for arguments it cannot accept (the
// runner turns it into a message the model sees, spec agent-runner.md §4).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace chatkit::agents {

// Base of every error a run can end with.
class agent_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A misuse of the API detected at registration or run start (bad tool name, duplicate parameter, a bound
// parameter without a binder, no model configured, ...).
class user_error : public agent_error {
 public:
  using agent_error::agent_error;
};

// The run needed more than max_turns model calls.
class max_turns_exceeded : public agent_error {
 public:
  explicit max_turns_exceeded(std::size_t max_turns)
      : agent_error("max turns (" + std::to_string(max_turns) + ") exceeded"), max_turns_(max_turns) {}
  std::size_t max_turns() const noexcept { return max_turns_; }

 private:
  std::size_t max_turns_;
};

// The model did something the run cannot continue from: called an unknown or disabled tool, produced
// no terminal event, refused.
class model_behavior_error : public agent_error {
 public:
  using agent_error::agent_error;
};

// The model answered response.failed or response.incomplete.
class model_response_error : public agent_error {
 public:
  model_response_error(std::string status, std::string code, const std::string& message)
      : agent_error("model response " + status + (code.empty() ? "" : " (" + code + ")") +
                    (message.empty() ? "" : ": " + message)),
        status_(std::move(status)),
        code_(std::move(code)) {}
  const std::string& status() const noexcept { return status_; }  // "failed" or "incomplete"
  const std::string& code() const noexcept { return code_; }      // error code or incomplete reason

 private:
  std::string status_;
  std::string code_;
};

// A tool ran past its timeout and its timeout_behavior is raise_exception.
class tool_timeout_error : public agent_error {
 public:
  tool_timeout_error(const std::string& tool, double seconds)
      : agent_error("tool '" + tool + "' timed out after " + std::to_string(seconds) + " s"), tool_(tool) {}
  const std::string& tool() const noexcept { return tool_; }

 private:
  std::string tool_;
};

// Thrown by a tool (or a tool wrapper) when the arguments are unacceptable: not the schema's shape, a
// value out of range, a parameter the model may not set. `what()` is the detail the model is shown, e.g.
// `$.limit: expected integer or null, got string`.
class tool_argument_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace chatkit::agents
