// The store contract suite against sqlite_store on a real file (a new file per check).
#include "sqlite_test_util.hpp"

#include <chatkit/sqlite/sqlite_store.hpp>
#include <chatkit/store/testing/store_contract.hpp>

#include <atomic>

namespace {
chatkit::sqlite_test::temp_dir& contract_dir() {
  static chatkit::sqlite_test::temp_dir dir;
  return dir;
}
}  // namespace

CHATKIT_STORE_CONTRACT_TESTS("sqlite", [] {
  static std::atomic<int> n{0};
  return std::make_unique<chatkit::store::sqlite_store>(chatkit::store::sqlite_store_options{
      .path = contract_dir().file("contract-" + std::to_string(n++) + ".db")});
});
