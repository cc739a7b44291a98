// The store contract suite against postgres_store on a real server (one scratch schema for the run; every
// check uses fresh users, so checks do not see each other's data).
#include "postgres_test_util.hpp"

#include <chatkit/postgres/postgres_store.hpp>
#include <chatkit/store/testing/store_contract.hpp>

#include <cstdlib>
#include <iostream>

namespace {

struct contract_schema {
  std::string conninfo;
  std::string name = chatkit::postgres_test::unique_schema();
  ~contract_schema() {
    if (!conninfo.empty()) chatkit::postgres_test::drop_schema(conninfo, name);
  }
};

contract_schema& schema() {
  static contract_schema s{std::getenv("CHATKIT_TEST_PG") ? std::getenv("CHATKIT_TEST_PG") : ""};
  return s;
}

// Registered when a server is configured, and in CI also without one (so that each check fails loudly).
std::size_t register_contract() {
  if (schema().conninfo.empty() && !chatkit::postgres_test::in_ci()) {
    std::cerr
        << "test_postgres: CHATKIT_TEST_PG is not set; the PostgreSQL store contract checks are skipped\n";
    return 0;
  }
  return chatkit::store::testing::register_store_contract(
      "postgres", chatkit::store::testing::make_store_factory([]() -> std::unique_ptr<chatkit::store::store> {
        const auto info = chatkit::postgres_test::conninfo();
        if (!info) return nullptr;
        return std::make_unique<chatkit::store::postgres_store>(chatkit::store::postgres_store_options{
            .conninfo = *info, .schema = schema().name, .connections = 3});
      }),
      {}, __FILE__, __LINE__);
}

const std::size_t registered = register_contract();

}  // namespace
