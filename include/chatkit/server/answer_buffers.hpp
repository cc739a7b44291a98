// Buffers for JSON answers, reused on the thread that sends them (docs/server.md#answer-buffers).
//
// A threads.list page is about 10 KB: taken from the allocator on every request it costs more than writing
// it, and far more once the heap is fragmented by long streams. The processor builds a body in
// answer_buffer(); the transport hands the body back with recycle_answer_buffer() once it is written. Both
// are optional: any std::string is a valid body, and a body never recycled is simply freed.
//
// Defined here (inline) rather than in a library: transports use this header without linking the server
// layer. Per thread, so no lock: an answer is usually built and sent on one thread, and a buffer recycled on
// another thread serves that thread's next answer.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace chatkit::server {

namespace detail {

struct kept_answer_buffers {
  static constexpr std::size_t per_thread = 8;  // answers in flight at once on one thread
  static constexpr std::size_t largest = 64 * 1024;
  static constexpr std::size_t smallest = 1024;  // below this the allocator's own caches do as well
  std::array<std::string, per_thread> slots;
  std::size_t count = 0;
};

inline thread_local kept_answer_buffers kept_answers;

}  // namespace detail

// An empty string with room for at least `capacity` bytes: a kept buffer of this thread when there is one.
inline std::string answer_buffer(std::size_t capacity) {
  auto& kept = detail::kept_answers;
  std::string body;
  if (kept.count > 0) {
    body = std::move(kept.slots[--kept.count]);
    body.clear();
  }
  if (body.capacity() < capacity) body.reserve(capacity);
  return body;
}

// Keeps `body`'s memory for a later answer_buffer() on this thread: up to eight buffers of 1–64 KB each;
// others are freed.
inline void recycle_answer_buffer(std::string&& body) noexcept {
  auto& kept = detail::kept_answers;
  const std::size_t room = body.capacity();
  if (room < detail::kept_answer_buffers::smallest || room > detail::kept_answer_buffers::largest ||
      kept.count == detail::kept_answer_buffers::per_thread)
    return;
  kept.slots[kept.count++] = std::move(body);
}

}  // namespace chatkit::server
