// docs/mcp.md's server snippets are cut from compiled files: every ```cpp block that starts with
// "// <path> [name]" must equal the lines between the two "// [name]" markers of that file (dedented).
#include "support/doc_snippets.hpp"

#include <catch2/catch.hpp>

TEST_CASE("docs/mcp.md: the server snippets match the compiled examples", "[mcp][docs]") {
  const auto snippets = chatkit::testing::compiled_snippets("mcp.md");
  for (const auto& s : snippets) {
    INFO(s.path << " [" << s.name << "]");
    CHECK(s.block == s.expected);
  }
  CHECK(snippets.size() >= 8);
}
