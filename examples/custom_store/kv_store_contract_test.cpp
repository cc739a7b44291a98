// The whole store contract suite on example::kv_store: this one line is all a host application writes.
#include "kv_store.hpp"

#include <chatkit/store/testing/store_contract.hpp>

CHATKIT_STORE_CONTRACT_TESTS("kv", [] { return std::make_unique<example::kv_store>(); });
