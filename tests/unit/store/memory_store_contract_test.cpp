// memory_store against the whole store contract suite.
#include <chatkit/store/memory_store.hpp>
#include <chatkit/store/testing/store_contract.hpp>

CHATKIT_STORE_CONTRACT_TESTS("memory", [] { return std::make_unique<chatkit::store::memory_store>(); });
