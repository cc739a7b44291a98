// Threads, their status, and pages (docs/protocol-reference.md#pages).
#pragma once

#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/timestamp.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chatkit::protocol {

enum class thread_status_type { active, locked, closed };
BOOST_DESCRIBE_ENUM(thread_status_type, active, locked, closed)

struct thread_status {
  thread_status_type type = thread_status_type::active;
  std::optional<std::string> reason;  // locked/closed only
  friend bool operator==(const thread_status&, const thread_status&) = default;
};
BOOST_DESCRIBE_STRUCT(thread_status, (), (type, reason))

// What a Store keeps about a thread. `metadata` is integration data: written for audience::storage,
// always written as {} for clients (docs/protocol-reference.md#serialisation-rules).
struct thread_metadata {
  std::string id;
  std::optional<std::string> title;
  timestamp created_at;
  thread_status status;
  std::optional<std::vector<std::string>> allowed_image_domains;
  boost::json::object metadata;

  friend bool operator==(const thread_metadata&, const thread_metadata&) = default;
};

enum class sort_order { asc, desc };
BOOST_DESCRIBE_ENUM(sort_order, asc, desc)

// {"data":[...],"has_more":bool,"after":"<id>"} — `after` is the id of the last element when has_more.
template <class T>
struct page {
  std::vector<T> data;
  bool has_more = false;
  std::optional<std::string> after;
};

// A thread as sent to clients: metadata plus a page of (visible) items.
struct thread : thread_metadata {
  page<thread_item> items;
};

using thread_page = page<thread_metadata>;  // written as a page of Thread with empty items
using item_page = page<thread_item>;

CHATKIT_PROTOCOL_TYPE(thread_status)
CHATKIT_PROTOCOL_TYPE(thread_metadata)
CHATKIT_PROTOCOL_TYPE(thread)
CHATKIT_PROTOCOL_TYPE(thread_page)
CHATKIT_PROTOCOL_TYPE(item_page)

}  // namespace chatkit::protocol
