// Helpers for tests that read files under tests/fixtures and the project's reference pages in docs/.
#pragma once

#include <boost/json/value.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace chatkit::testing {

std::filesystem::path fixtures_dir();  // tests/fixtures
std::filesystem::path docs_dir();      // docs
std::string read_file(const std::filesystem::path& p);
boost::json::value read_json_file(const std::filesystem::path& p);
// Sorted *.json files of a directory.
std::vector<std::filesystem::path> json_files(const std::filesystem::path& dir);

}  // namespace chatkit::testing
