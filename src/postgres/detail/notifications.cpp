#include "postgres/detail/notifications.hpp"

#include "postgres/detail/connection.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <libpq-fe.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <array>
#include <cerrno>

namespace chatkit::store {

std::string_view to_string(change_kind kind) noexcept {
  switch (kind) {
    case change_kind::thread_saved:
      return "thread.saved";
    case change_kind::thread_deleted:
      return "thread.deleted";
    case change_kind::item_saved:
      return "item.saved";
    case change_kind::item_deleted:
      return "item.deleted";
    case change_kind::attachment_saved:
      return "attachment.saved";
    case change_kind::attachment_deleted:
      return "attachment.deleted";
  }
  return "unknown";
}

namespace pg_detail {

namespace {
constexpr std::array<change_kind, 6> all_kinds = {
    change_kind::thread_saved, change_kind::thread_deleted,   change_kind::item_saved,
    change_kind::item_deleted, change_kind::attachment_saved, change_kind::attachment_deleted};
}  // namespace

std::string encode_change(const store_change& change, std::string_view origin) {
  boost::json::object o;
  o["chatkit"] = to_string(change.kind);
  o["origin"] = origin;
  o["user"] = change.user_id;
  o["thread"] = change.thread_id;
  o["id"] = change.id;
  auto text = boost::json::serialize(o);
  if (text.size() <= max_payload_bytes) return text;
  o.erase("user");
  o.erase("thread");
  o.erase("id");
  o["truncated"] = true;
  return boost::json::serialize(o);
}

std::optional<store_change> decode_change(std::string_view payload, std::string_view origin) {
  boost::system::error_code ec;
  auto v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  const auto* kind = o.if_contains("chatkit");
  if (!kind || !kind->is_string()) return std::nullopt;
  store_change change;
  bool known = false;
  for (auto k : all_kinds) {
    if (kind->get_string() == to_string(k)) {
      change.kind = k;
      known = true;
    }
  }
  if (!known) return std::nullopt;
  auto text = [&](const char* key) -> std::string {
    const auto* f = o.if_contains(key);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  change.user_id = text("user");
  change.thread_id = text("thread");
  change.id = text("id");
  change.local = text("origin") == origin;
  const auto* truncated = o.if_contains("truncated");
  change.truncated = truncated && truncated->is_bool() && truncated->get_bool();
  return change;
}

listener::listener(std::string conninfo, std::string channel, std::string origin,
                   std::function<void(const store_change&)> callback)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      origin_(std::move(origin)),
      callback_(std::move(callback)) {
  if (::pipe(wake_) != 0)
    throw store_error(errc::database_error, "postgres: cannot create the listener's wake pipe");
  ::fcntl(wake_[0], F_SETFL, O_NONBLOCK);
  if (!reconnect()) {
    std::string message =
        std::string("postgres: cannot LISTEN: ") + (conn_ ? PQerrorMessage(conn_) : "no connection");
    if (conn_) PQfinish(conn_);
    ::close(wake_[0]);
    ::close(wake_[1]);
    throw store_error(errc::unavailable, message);
  }
  thread_ = std::thread([this] { loop(); });
}

listener::~listener() {
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(wake_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  if (conn_) PQfinish(conn_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

bool listener::reconnect() {
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  try {
    conn_ = connect_raw(conninfo_);
  } catch (const chatkit::error&) {
    return false;
  }
  char* quoted = PQescapeIdentifier(conn_, channel_.data(), channel_.size());
  if (!quoted) return false;
  const std::string sql = std::string("LISTEN ") + quoted;
  PQfreemem(quoted);
  PGresult* r = PQexec(conn_, sql.c_str());
  const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok;
}

void listener::loop() {
  for (;;) {
    const bool connected = conn_ && PQstatus(conn_) == CONNECTION_OK;
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {connected ? PQsocket(conn_) : -1, POLLIN, 0}};
    // Disconnected: wake up after a second to try again (or at once on stop).
    const int rc = ::poll(fds, 2, connected ? -1 : 1000);
    if (rc < 0 && errno != EINTR) return;
    if (fds[0].revents) return;  // stop requested
    if (!connected) {
      reconnect();
      continue;
    }
    if (!fds[1].revents) continue;
    if (!PQconsumeInput(conn_)) {
      reconnect();
      continue;
    }
    while (PGnotify* n = PQnotifies(conn_)) {
      if (auto change = decode_change(n->extra ? n->extra : "", origin_)) {
        try {
          callback_(*change);
        } catch (...) {
          // The hook must not throw; a throwing hook must not stop the notifications either.
        }
      }
      PQfreemem(n);
    }
  }
}

}  // namespace pg_detail
}  // namespace chatkit::store
