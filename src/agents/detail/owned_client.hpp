// An OpenAI client with its own I/O thread, for models built from client_options: runs may then live on any
// executor (each client operation is hopped onto this thread). Shared by the Responses and Chat models.
#pragma once

#include <chatkit/openai/client.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>

namespace chatkit::agents::detail {

class owned_client {
 public:
  // Throws openai::api_error(invalid_argument) without an API key or with a bad URL (no thread is started).
  explicit owned_client(openai::client_options options);
  // Destroys the client on its thread (idle keep-alive connections close there), then stops and joins it.
  ~owned_client();
  owned_client(const owned_client&) = delete;
  owned_client& operator=(const owned_client&) = delete;

  const std::shared_ptr<const openai::client>& client() const noexcept { return client_; }

 private:
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::shared_ptr<const openai::client> client_;
  std::thread thread_;
};

}  // namespace chatkit::agents::detail
