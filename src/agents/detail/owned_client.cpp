#include "agents/detail/owned_client.hpp"

#include <boost/asio/post.hpp>

namespace chatkit::agents::detail {

owned_client::owned_client(openai::client_options options)
    : client_(std::make_shared<const openai::client>(ioc_.get_executor(), std::move(options))),
      thread_([this] { ioc_.run(); }) {}

owned_client::~owned_client() {
  // Pending reads of idle connections would keep run() going forever: stop right after the client is gone.
  boost::asio::post(ioc_, [this] {
    client_.reset();
    ioc_.stop();
  });
  thread_.join();
}

}  // namespace chatkit::agents::detail
