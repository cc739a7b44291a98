// Loads the checked-in SSE transcripts of tests/fixtures/sse (generated from openai-streaming.md §8).
#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace chatkit::openai::test {

inline std::string fixture(const std::string& name) {
  const std::string path = std::string(CHATKIT_TEST_FIXTURES) + "/sse/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace chatkit::openai::test
