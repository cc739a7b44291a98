// One transaction guard for both SQL stores: begun on construction, rolled back on destruction unless
// committed. The connection type supplies begin(), commit() and a rollback() that does not throw.
#pragma once

namespace chatkit::store::detail {

template <class Connection>
class transaction {
 public:
  explicit transaction(Connection& c) : c_(c) { c_.begin(); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (!done_) c_.rollback();
  }
  void commit() {
    c_.commit();
    done_ = true;
  }

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace chatkit::store::detail
