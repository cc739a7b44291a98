// Caps on open client connections (private to the http layer): all clients together and per client
// address, so that idle or slow connections from one client cannot take every descriptor of the process.
// A refused connection is answered 503 with Retry-After by the server. Shared by the worker threads,
// hence the mutex; the critical sections are a map lookup. See docs/http.md#limits.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <utility>

namespace chatkit::http::detail {

class connection_limiter {
 public:
  // 0 means unlimited, for either cap.
  connection_limiter(std::size_t max_total, std::size_t max_per_address);

  // Holds one connection's place until destroyed or reset().
  class slot {
   public:
    slot() = default;
    slot(connection_limiter* owner, boost::asio::ip::address a) : owner_(owner), address_(std::move(a)) {}
    slot(slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), address_(std::move(o.address_)) {}
    slot& operator=(slot&& o) noexcept;
    ~slot() { reset(); }
    void reset();
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    connection_limiter* owner_ = nullptr;
    boost::asio::ip::address address_;
  };

  // An empty slot when either cap is reached.
  slot try_acquire(const boost::asio::ip::address& client);
  std::size_t open() const;
  std::size_t max_total() const noexcept { return max_total_; }

  // The automatic global cap: three quarters of the process's open-file limit (RLIMIT_NOFILE), at least 1.
  static std::size_t automatic_max_total();

 private:
  void release(const boost::asio::ip::address& client);

  std::size_t max_total_;
  std::size_t max_per_address_;
  mutable std::mutex mu_;
  std::map<boost::asio::ip::address, std::size_t> per_address_;
  std::size_t open_ = 0;
};

}  // namespace chatkit::http::detail
