// Load caps of the ChatKit endpoint: running event streams per user (so that one user cannot hold every
// slot: 429) and of all users together, and requests admitted at once (both: 503 with Retry-After).
// See docs/http.md#limits. Shared by the worker threads, hence the mutex; the critical sections are a
// map lookup.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace chatkit::http::detail {

class stream_limiter {
 public:
  // Each 0 means unlimited.
  struct caps {
    std::size_t streams_per_user = 0;
    std::size_t streams = 0;
    std::size_t requests = 0;
  };
  // Which cap refused a lease.
  enum class refusal { none, user_streams, streams, requests };

  explicit stream_limiter(caps c) : caps_(c) {}

  // One running stream or one admitted request, released when destroyed or reset().
  class lease {
   public:
    lease() = default;
    lease(stream_limiter* owner, bool stream, std::string user)
        : owner_(owner), stream_(stream), user_(std::move(user)) {}
    lease(lease&& o) noexcept
        : owner_(std::exchange(o.owner_, nullptr)), stream_(o.stream_), user_(std::move(o.user_)) {}
    lease& operator=(lease&&) = delete;
    ~lease() { reset(); }
    void reset() {
      if (owner_) std::exchange(owner_, nullptr)->release(stream_, user_);
    }
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    stream_limiter* owner_ = nullptr;
    bool stream_ = false;
    std::string user_;
  };

  // A stream of `user`; an empty lease (and `why`) when the user's or the global stream cap is reached.
  lease try_acquire(const std::string& user, refusal& why) {
    std::lock_guard lock(mu_);
    if (caps_.streams != 0 && total_ >= caps_.streams) {
      why = refusal::streams;
      return {};
    }
    auto& n = counts_[user];
    if (caps_.streams_per_user != 0 && n >= caps_.streams_per_user) {
      if (n == 0) counts_.erase(user);
      why = refusal::user_streams;
      return {};
    }
    ++n;
    ++total_;
    why = refusal::none;
    return {this, true, user};
  }

  // An admitted request; an empty lease when the in-flight cap is reached.
  lease try_admit() {
    std::lock_guard lock(mu_);
    if (caps_.requests != 0 && requests_ >= caps_.requests) return {};
    ++requests_;
    return {this, false, {}};
  }

  // Running streams (all users).
  std::size_t total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  // Admitted requests.
  std::size_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void release(bool stream, const std::string& user) {
    std::lock_guard lock(mu_);
    if (!stream) {
      --requests_;
      return;
    }
    auto it = counts_.find(user);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
    --total_;
  }

  caps caps_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> counts_;
  std::size_t total_ = 0;
  std::size_t requests_ = 0;
};

}  // namespace chatkit::http::detail
