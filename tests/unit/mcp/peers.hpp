// Helpers of the MCP peer tests: where the pinned npm peers are (tests/mcp-peers), whether node and the
// installed peers are present (the tests skip with code 77 otherwise), and a launcher for Streamable HTTP
// peers that reads the announced port and stops the process by its PID.
#pragma once

#include <chatkit/mcp/client.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace chatkit::mcp::testing {

std::filesystem::path peers_dir();
// The node binary (PATH), empty when there is none.
std::string node_binary();
// True when node and tests/mcp-peers/node_modules exist; otherwise the executable exits with 77 (skipped).
bool peers_available();
void skip_unless_peers();

std::string everything_js();
std::string memory_js();

// A peer process listening on 127.0.0.1 (started with PORT=0), stopped by PID in the destructor.
class http_peer {
 public:
  // argv of the peer; `marker` prefixes the stderr/stdout line that carries "host:port".
  http_peer(std::vector<std::string> argv, std::string marker, bool marker_on_stdout = false);
  ~http_peer();
  http_peer(const http_peer&) = delete;
  http_peer& operator=(const http_peer&) = delete;
  const std::string& url() const { return url_; }
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  std::string url_;
};

// A temporary directory removed with its content.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Logs collected from a client (every line, any source).
struct log_lines {
  std::vector<std::string> lines;
  client_options options();
  bool contains(std::string_view needle) const;
};

}  // namespace chatkit::mcp::testing
