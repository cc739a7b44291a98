// docs/mcp.md's server snippets are cut from compiled files: every ```cpp block that starts with
// "// <path> [name]" must equal the lines between the two "// [name]" markers of that file (dedented).
#include "support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// The marked region of `file`, with the common indentation removed.
std::string region(const std::string& file, const std::string& name) {
  std::vector<std::string> body;
  bool inside = false;
  for (const auto& line : lines_of(chatkit::testing::read_file(file))) {
    if (trimmed(line) == "// [" + name + "]") {
      if (inside) break;
      inside = true;
      continue;
    }
    if (inside) body.push_back(line);
  }
  std::size_t indent = std::string::npos;
  for (const auto& l : body)
    if (!trimmed(l).empty()) indent = std::min(indent, l.size() - trimmed(l).size());
  std::string out;
  for (const auto& l : body) out += (l.size() >= indent ? l.substr(indent) : trimmed(l)) + "\n";
  return out;
}

}  // namespace

TEST_CASE("docs/mcp.md: the server snippets match the compiled examples", "[mcp][docs]") {
  const auto root = chatkit::testing::docs_dir().parent_path();
  const auto doc = lines_of(chatkit::testing::read_file(chatkit::testing::docs_dir() / "mcp.md"));
  int checked = 0;
  for (std::size_t i = 0; i + 1 < doc.size(); ++i) {
    if (doc[i] != "```cpp" || !doc[i + 1].starts_with("// examples/")) continue;
    const std::string header = doc[i + 1].substr(3);
    const auto open = header.find(" [");
    REQUIRE(open != std::string::npos);
    const std::string path = header.substr(0, open);
    const std::string name = header.substr(open + 2, header.size() - open - 3);
    std::string block;
    std::size_t j = i + 2;
    for (; j < doc.size() && doc[j] != "```"; ++j) block += doc[j] + "\n";
    INFO(path << " [" << name << "]");
    CHECK(block == region((root / path).string(), name));
    ++checked;
    i = j;
  }
  CHECK(checked >= 8);
}
