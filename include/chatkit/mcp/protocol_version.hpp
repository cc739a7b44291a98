// MCP protocol revisions and the names of the `_meta` keys the SDK reads or writes (docs/mcp.md#revisions).
// Two eras: the legacy one (an `initialize` handshake, sessions; newest revision 2025-11-25) and the modern,
// stateless one (2026-07-28: every request carries its revision and capabilities in `params._meta`).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace chatkit::mcp {

enum class era { legacy, modern };

inline constexpr std::string_view modern_revision = "2026-07-28";
inline constexpr std::string_view latest_legacy_revision = "2025-11-25";
// Legacy revisions the SDK speaks, newest first.
inline constexpr std::array<std::string_view, 3> legacy_revisions = {"2025-11-25", "2025-06-18",
                                                                     "2025-03-26"};

bool is_legacy_revision(std::string_view revision) noexcept;

// A legacy server's answer to `initialize`: the client's revision when the SDK speaks it, else the newest.
std::string_view negotiate_legacy_revision(std::string_view requested) noexcept;

// The era of a revision the SDK speaks; empty for an unknown revision.
std::optional<era> era_of(std::string_view revision) noexcept;

namespace meta_key {
inline constexpr std::string_view protocol_version = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view client_capabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view client_info = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view server_info = "io.modelcontextprotocol/serverInfo";
inline constexpr std::string_view log_level = "io.modelcontextprotocol/logLevel";
inline constexpr std::string_view subscription_id = "io.modelcontextprotocol/subscriptionId";
inline constexpr std::string_view progress_token = "progressToken";
}  // namespace meta_key

}  // namespace chatkit::mcp
