// Tiny helpers for the benchmark programs: run a body for at least a minimum time and report rates.
#pragma once

#include <chrono>
#include <cstdio>

namespace chatkit::bench {

struct rate {
  double seconds;
  double iterations;
};

// Runs body() in batches until `min_seconds` have passed; returns total time and iterations.
template <class F>
rate measure(F&& body, double min_seconds = 1.0, long batch = 1) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  double iterations = 0;
  double elapsed = 0;
  do {
    for (long i = 0; i < batch; ++i) body();
    iterations += static_cast<double>(batch);
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return {elapsed, iterations};
}

}  // namespace chatkit::bench
