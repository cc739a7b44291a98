// A synchronous wrapper for simple programs: owns an io_context and runs each call to completion on
// the calling thread. Streaming calls take a callback invoked for every event, in order, and return
// the final accumulated result. Errors are thrown as api_error, exactly as by the async client.
#pragma once

#include <chatkit/openai/client.hpp>

#include <functional>
#include <memory>

namespace chatkit::openai {

class blocking_client {
 public:
  explicit blocking_client(client_options opts = {});
  ~blocking_client();
  blocking_client(const blocking_client&) = delete;
  blocking_client& operator=(const blocking_client&) = delete;

  response create_response(boost::json::object params, request_options opts = {});
  response stream_response(boost::json::object params,
                           const std::function<void(const response_event&)>& on_event,
                           request_options opts = {});
  chat_completion create_chat_completion(boost::json::object params, request_options opts = {});
  chat_completion stream_chat_completion(boost::json::object params,
                                         const std::function<void(const chat_chunk&)>& on_chunk,
                                         request_options opts = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace chatkit::openai
