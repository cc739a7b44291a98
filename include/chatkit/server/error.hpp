// Errors of the server core. Request errors, which a transport answers with an HTTP status (invalid request,
// not found, conflict, ...), are chatkit::error from <chatkit/error.hpp>. This header holds what happens
// *inside* an event stream: one error_code category ("chatkit.server"), the exceptions a respond()/action()
// hook throws to choose the `error` event the client sees, and the exception that reports a cancelled stream.
// See docs/server.md#error-events and docs/server.md#cancellation.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <optional>
#include <string>

namespace chatkit::server {

enum class errc {
  ok = 0,
  stream_error = 1,  // a hook ended the stream with an `error` event of its choice (stream_error)
  stream_cancelled,  // the stream's consumer went away or its coroutine was cancelled (stream_cancelled)
};

const boost::system::error_category& server_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), server_category()};
}

// Thrown by a hook: the stream ends with
// {"type":"error","code":<event_code>,"message":...,"allow_retry":...}. Anything else a hook throws becomes
// {"type":"error","code":"stream.error","allow_retry":true}.
class stream_error : public boost::system::system_error {
 public:
  stream_error(std::string event_code, std::optional<std::string> message, bool allow_retry)
      : boost::system::system_error(make_error_code(errc::stream_error), message.value_or(event_code)),
        event_code_(std::move(event_code)),
        message_(std::move(message)),
        allow_retry_(allow_retry) {}

  // The `code` field of the error event ("custom", "stream.error", or an application code).
  const std::string& event_code() const noexcept { return event_code_; }
  // The `message` field; none for coded errors.
  const std::optional<std::string>& message() const noexcept { return message_; }
  bool allow_retry() const noexcept { return allow_retry_; }

 private:
  std::string event_code_;
  std::optional<std::string> message_;
  bool allow_retry_;
};

// A user-facing message: {"type":"error","code":"custom","message":...,"allow_retry":...}.
class custom_stream_error : public stream_error {
 public:
  explicit custom_stream_error(std::string message, bool allow_retry = false)
      : stream_error("custom", std::move(message), allow_retry) {}
};

// A coded error without a message: {"type":"error","code":<code>,"allow_retry":...}. allow_retry defaults to
// true for the predefined "stream.error" code and false for any other code.
class coded_stream_error : public stream_error {
 public:
  explicit coded_stream_error(const std::string& code = "stream.error")
      : stream_error(code, std::nullopt, code == "stream.error") {}
  coded_stream_error(std::string code, bool allow_retry)
      : stream_error(std::move(code), std::nullopt, allow_retry) {}
};

// Thrown out of event_emitter::emit when the stream's consumer is gone or the stream was cancelled. Hooks
// should let it propagate: the server then runs handle_stream_cancelled.
class stream_cancelled : public boost::system::system_error {
 public:
  stream_cancelled() : boost::system::system_error(make_error_code(errc::stream_cancelled)) {}
};

// Whether `failure` reports a cancellation: a stream_cancelled, or an operation aborted by Asio cancellation.
bool is_cancellation(const std::exception_ptr& failure) noexcept;

}  // namespace chatkit::server

template <>
struct boost::system::is_error_code_enum<chatkit::server::errc> : std::true_type {};
