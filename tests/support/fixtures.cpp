#include "support/fixtures.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chatkit::testing {

std::filesystem::path fixtures_dir() {
  return CHATKIT_TEST_FIXTURES;
}
std::filesystem::path docs_dir() {
  return CHATKIT_DOCS_DIR;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

boost::json::value read_json_file(const std::filesystem::path& p) {
  return boost::json::parse(read_file(p));
}

std::vector<std::filesystem::path> json_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace chatkit::testing
