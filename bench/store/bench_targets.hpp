// The stores the store benchmark measures. Adding a store is one line in bench_targets.cpp.
#pragma once

#include <chatkit/store/store.hpp>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace chatkit::bench {

struct bench_target {
  std::string name;
  // Returns a fresh, empty store, or nullptr when it cannot run here (e.g. no database configured).
  std::function<std::unique_ptr<store::store>(boost::asio::io_context&)> make;
};

std::vector<bench_target> bench_targets();

}  // namespace chatkit::bench
