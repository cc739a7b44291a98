// Parses one ChatKit request with the packaged SDK and prints the version it was built from.
#include <chatkit/protocol.hpp>
#include <chatkit/version.hpp>

#include <iostream>

int main() {
  const auto request = chatkit::protocol::parse_request(R"({"type":"threads.get_by_id","params":{"thread_id":"thr_1"}})");
  std::cout << "chatkit-cpp " << CHATKIT_VERSION_STRING << ": parsed a request of index " << request.index() << "\n";
  return 0;
}
