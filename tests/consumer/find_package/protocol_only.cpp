// Links chatkit::protocol alone: a layer target must bring its own include path and dependencies.
#include <chatkit/protocol/requests.hpp>

#include <iostream>
#include <variant>

int main() {
  const auto req = chatkit::protocol::parse_request(
      R"({"type":"threads.get_by_id","params":{"thread_id":"thr_0a1b2c3d"}})");
  std::cout << "protocol only: " << chatkit::protocol::request_type(req) << " "
            << std::get<chatkit::protocol::threads_get_by_id>(req).params.thread_id << "\n";
}
