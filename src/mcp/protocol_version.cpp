#include <chatkit/mcp/protocol_version.hpp>

#include <algorithm>

namespace chatkit::mcp {

bool is_legacy_revision(std::string_view revision) noexcept {
  return std::find(legacy_revisions.begin(), legacy_revisions.end(), revision) != legacy_revisions.end();
}

std::string_view negotiate_legacy_revision(std::string_view requested) noexcept {
  for (auto known : legacy_revisions)
    if (known == requested) return known;
  return latest_legacy_revision;
}

std::optional<era> era_of(std::string_view revision) noexcept {
  if (revision == modern_revision) return era::modern;
  if (is_legacy_revision(revision)) return era::legacy;
  return std::nullopt;
}

}  // namespace chatkit::mcp
