// The OpenAI client with a callback, a future and per-event callbacks: OPENAI_API_KEY=... ./openai_callbacks
#include "callbacks.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>
#include <thread>

int main() {
  try {
    boost::asio::io_context ioc;
    chatkit::openai::client client(ioc.get_executor());  // OPENAI_API_KEY, OPENAI_BASE_URL
    auto work = boost::asio::make_work_guard(ioc);
    std::thread io([&] { ioc.run(); });  // the client's executor runs here; this thread waits on futures

    std::promise<std::string> via_callback;
    callbacks::ask_with_callback(client, [&](std::string text) { via_callback.set_value(std::move(text)); });
    std::cout << "callback: " << via_callback.get_future().get() << "\n";

    std::cout << "future:   " << callbacks::ask_with_future(client) << "\n";

    std::promise<void> streamed;
    std::cout << "stream:   ";
    callbacks::stream_with_callbacks(
        client, [](std::string_view text) { std::cout << text << std::flush; },
        [&](std::exception_ptr error, chatkit::openai::response) {
          if (error)
            streamed.set_exception(error);
          else
            streamed.set_value();
        });
    streamed.get_future().get();
    std::cout << "\n";

    work.reset();
    io.join();
  } catch (const std::exception& e) {
    std::cerr << "openai_callbacks: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
