// Streams one answer from the Responses API and prints it: OPENAI_API_KEY=... ./openai_stream
#include "snippets.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
  boost::asio::io_context ioc;
  try {
    chatkit::openai::client client(ioc.get_executor());  // OPENAI_API_KEY, OPENAI_BASE_URL
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          try {
            auto r = co_await snippets::stream_text(client, std::cout);
            std::cerr << "tokens: " << (r.usage ? r.usage->total_tokens : 0) << ", request " << r.request_id << "\n";
          } catch (const chatkit::openai::api_error& e) {
            std::cerr << snippets::describe(e) << "\n";
          }
        },
        boost::asio::detached);
    ioc.run();
  } catch (const chatkit::openai::api_error& e) {
    std::cerr << snippets::describe(e) << "\n";
    return 1;
  }
  return 0;
}
