// Snippets of the docs that are cut from compiled files: a ```cpp block whose first line is
// "// <path> [name]" (path relative to the repository) must equal the lines between the two "// [name]"
// markers of that file, with their common indentation removed. The docs tests of each layer check their page.
#pragma once

#include "support/fixtures.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace chatkit::testing {

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

inline std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// The lines between the two "// [name]" markers of `file`, with their common indentation removed.
inline std::string marked_region(const std::string& file, const std::string& name) {
  std::vector<std::string> body;
  bool inside = false;
  for (const auto& line : lines_of(read_file(file))) {
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

struct doc_snippet {
  std::string path;      // the compiled file, relative to the repository
  std::string name;      // its region
  std::string block;     // the block in the doc
  std::string expected;  // the region of the file (empty when the file has no such region)
};

// Every block of docs/<page> cut from a file under examples/, with what it must equal.
inline std::vector<doc_snippet> compiled_snippets(const std::string& page) {
  const auto root = docs_dir().parent_path();
  const auto doc = lines_of(read_file(docs_dir() / page));
  std::vector<doc_snippet> out;
  for (std::size_t i = 0; i + 1 < doc.size(); ++i) {
    if (doc[i] != "```cpp" || !doc[i + 1].starts_with("// examples/")) continue;
    const std::string header = doc[i + 1].substr(3);
    const auto open = header.find(" [");
    doc_snippet s;
    if (open == std::string::npos || header.back() != ']') {
      s.path = header;  // a malformed header: no region, so the caller's comparison fails and names it
    } else {
      s.path = header.substr(0, open);
      s.name = header.substr(open + 2, header.size() - open - 3);
    }
    std::size_t j = i + 2;
    for (; j < doc.size() && doc[j] != "```"; ++j) s.block += doc[j] + "\n";
    if (!s.name.empty()) s.expected = marked_region((root / s.path).string(), s.name);
    out.push_back(std::move(s));
    i = j;
  }
  return out;
}

}  // namespace chatkit::testing
