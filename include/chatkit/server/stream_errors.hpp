// Exceptions a respond()/action() hook throws to choose the `error` event the client sees (spec §7.10.5).
// Anything else thrown by a hook becomes {"type":"error","code":"stream.error","allow_retry":true}.
#pragma once

#include <stdexcept>
#include <string>

namespace chatkit::server {

// A user-facing message: {"type":"error","code":"custom","message":...,"allow_retry":...}.
class custom_stream_error : public std::runtime_error {
 public:
  explicit custom_stream_error(const std::string& message, bool allow_retry = false)
      : std::runtime_error(message), allow_retry_(allow_retry) {}
  bool allow_retry() const noexcept { return allow_retry_; }

 private:
  bool allow_retry_;
};

// A coded error without a message: {"type":"error","code":<code>,"allow_retry":...}. allow_retry defaults to
// true for the predefined "stream.error" code and false for any other code.
class coded_stream_error : public std::runtime_error {
 public:
  explicit coded_stream_error(const std::string& code = "stream.error")
      : std::runtime_error(code), code_(code), allow_retry_(code == "stream.error") {}
  coded_stream_error(const std::string& code, bool allow_retry)
      : std::runtime_error(code), code_(code), allow_retry_(allow_retry) {}
  const std::string& code() const noexcept { return code_; }
  bool allow_retry() const noexcept { return allow_retry_; }

 private:
  std::string code_;
  bool allow_retry_;
};

// Thrown out of event_emitter::emit when the stream's consumer is gone or the stream was cancelled. Hooks
// should let it propagate: the server then runs handle_stream_cancelled.
class stream_cancelled : public std::runtime_error {
 public:
  stream_cancelled() : std::runtime_error("the event stream was cancelled") {}
};

}  // namespace chatkit::server
