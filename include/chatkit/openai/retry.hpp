// The retry policy (docs/openai-client.md#retries) as pure functions (no clock, no randomness inside), so
// it is unit-tested exactly; the client feeds them the response headers, the time and a U[0,1) draw.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace chatkit::openai {

// Longest server-directed delay honoured; a longer one means "do not retry".
inline constexpr std::chrono::milliseconds max_server_retry_delay{120000};

// The delay a server asked for: `retry-after-ms` (float ms), else `retry-after` as float seconds, else
// as an HTTP-date relative to `now`. nullopt when absent or unparsable.
std::optional<std::chrono::milliseconds> server_retry_delay(std::string_view retry_after_ms,
                                                            std::string_view retry_after,
                                                            std::chrono::system_clock::time_point now);

// Whether a non-2xx response may be retried (retries remaining is checked by the caller).
bool should_retry_status(int status, std::string_view x_should_retry,
                         std::optional<std::chrono::milliseconds> server_delay) noexcept;

// Backoff before retry number `retries_taken` (0-based): min(0.5 * 2^n, 8) s * (1 - 0.25 * u).
std::chrono::milliseconds backoff_delay(int retries_taken, double u) noexcept;

// The delay to sleep: the server's when 0 < d <= 120 s, else the backoff.
std::chrono::milliseconds retry_delay(std::optional<std::chrono::milliseconds> server_delay,
                                      int retries_taken, double u) noexcept;

}  // namespace chatkit::openai
