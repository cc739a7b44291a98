// Counts running event streams per user so that one user cannot hold every connection slot (429).
// Shared by the worker threads, hence the mutex; the critical sections are a map lookup.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace chatkit::http::detail {

class stream_limiter {
 public:
  explicit stream_limiter(std::size_t per_user) : per_user_(per_user) {}

  class lease {
   public:
    lease() = default;
    lease(stream_limiter* owner, std::string user) : owner_(owner), user_(std::move(user)) {}
    lease(lease&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), user_(std::move(o.user_)) {}
    lease& operator=(lease&&) = delete;
    ~lease() { reset(); }
    void reset() {
      if (owner_) std::exchange(owner_, nullptr)->release(user_);
    }
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    stream_limiter* owner_ = nullptr;
    std::string user_;
  };

  // An empty lease when the user is at the cap.
  lease try_acquire(const std::string& user) {
    std::lock_guard lock(mu_);
    auto& n = counts_[user];
    if (per_user_ != 0 && n >= per_user_) {
      if (n == 0) counts_.erase(user);
      return {};
    }
    ++n;
    ++total_;
    return {this, user};
  }

  std::size_t total() const {
    std::lock_guard lock(mu_);
    return total_;
  }

 private:
  void release(const std::string& user) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(user);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
    --total_;
  }

  std::size_t per_user_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> counts_;
  std::size_t total_ = 0;
};

}  // namespace chatkit::http::detail
