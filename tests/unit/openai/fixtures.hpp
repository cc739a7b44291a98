// Loads the checked-in SSE transcripts of tests/fixtures/sse (what each one covers:
// tests/fixtures/sse/README.md).
#pragma once

#include "support/fixtures.hpp"

#include <string>

namespace chatkit::openai::test {

inline std::string fixture(const std::string& name) {
  return chatkit::testing::read_file(chatkit::testing::fixtures_dir() / "sse" / name);
}

}  // namespace chatkit::openai::test
