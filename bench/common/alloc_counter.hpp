// Counts heap allocations of the whole process (global operator new is replaced in alloc_counter.cpp).
// Benchmarks read the counter around a measured region to report allocations per operation.
#pragma once

#include <atomic>
#include <cstdint>

namespace chatkit::bench {
extern std::atomic<std::uint64_t> allocations;
}
