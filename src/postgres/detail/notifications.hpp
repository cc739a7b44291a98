// NOTIFY payloads of the PostgreSQL store (a small JSON object) and the LISTEN loop that turns them back into
// store_change values. The payload codec is pure and unit-tested without a server.
#pragma once

#include <chatkit/postgres/postgres_store.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

struct pg_conn;

namespace chatkit::store::pg_detail {

// PostgreSQL's payload limit is 8000 bytes; a payload whose ids do not fit is sent without them.
inline constexpr std::size_t max_payload_bytes = 7999;

std::string encode_change(const store_change& change, std::string_view origin);
// nullopt for a payload that is not ours (another application on the same channel).
std::optional<store_change> decode_change(std::string_view payload, std::string_view origin);

// A dedicated connection LISTENing on a channel, delivering changes to a callback from its own thread.
// Reconnects (and re-LISTENs) after a lost connection; changes committed while disconnected are missed.
class listener {
 public:
  // Connects and LISTENs before returning (errc::unavailable on failure), then starts the thread.
  listener(std::string conninfo, std::string channel, std::string origin,
           std::function<void(const store_change&)> callback);
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  ~listener();  // stops and joins the thread

 private:
  void loop();
  bool reconnect();

  std::string conninfo_;
  std::string channel_;
  std::string origin_;
  std::function<void(const store_change&)> callback_;
  ::pg_conn* conn_ = nullptr;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace chatkit::store::pg_detail
