#include "http/detail/connection_limiter.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace chatkit::http::detail {
namespace {

// IPv4 clients of a dual-stack listener arrive as ::ffff:a.b.c.d; they count as the IPv4 address.
boost::asio::ip::address normalized(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

connection_limiter::connection_limiter(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

connection_limiter::slot& connection_limiter::slot::operator=(slot&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = std::exchange(o.owner_, nullptr);
    address_ = std::move(o.address_);
  }
  return *this;
}

void connection_limiter::slot::reset() {
  if (owner_) std::exchange(owner_, nullptr)->release(address_);
}

connection_limiter::slot connection_limiter::try_acquire(const boost::asio::ip::address& client) {
  auto a = normalized(client);
  std::lock_guard lock(mu_);
  if (max_total_ != 0 && open_ >= max_total_) return {};
  auto& n = per_address_[a];
  if (max_per_address_ != 0 && n >= max_per_address_) return {};  // n > 0 here: the entry stays
  ++n;
  ++open_;
  return {this, a};
}

void connection_limiter::release(const boost::asio::ip::address& client) {
  std::lock_guard lock(mu_);
  auto it = per_address_.find(client);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  --open_;
}

std::size_t connection_limiter::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

std::size_t connection_limiter::automatic_max_total() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
    return std::numeric_limits<std::size_t>::max();
  return std::max<std::size_t>(1, static_cast<std::size_t>(lim.rlim_cur) / 4 * 3);
}

}  // namespace chatkit::http::detail
