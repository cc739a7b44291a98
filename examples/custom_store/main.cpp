// custom_store demo: uses example::kv_store the way the ChatKit server does — create a thread, append
// items, page through them — and shows that a second user sees none of it.
#include "kv_store.hpp"

#include <chatkit/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>

namespace asio = boost::asio;
namespace protocol = chatkit::protocol;

asio::awaitable<void> demo(example::kv_store& store) {
  chatkit::request_context alice;
  alice.user_id = "alice";
  chatkit::request_context bob;
  bob.user_id = "bob";

  protocol::thread_metadata thread;
  thread.id = store.generate_thread_id(alice);
  thread.created_at = protocol::timestamp::now();
  thread.title = "Demo";
  co_await store.save_thread(thread, alice);

  for (int i = 0; i < 5; ++i) {
    protocol::assistant_message_item m;
    m.id = store.generate_item_id(chatkit::store::id_kind::message, thread, alice);
    m.thread_id = thread.id;
    m.created_at = protocol::timestamp::now();
    m.content.push_back(protocol::output_text{{}, "answer " + std::to_string(i)});
    co_await store.add_thread_item(thread.id, m, alice);
  }

  // Newest first, two per page, following the `after` cursor.
  std::optional<std::string> after;
  int page_no = 0;
  do {
    auto page = co_await store.load_thread_items(thread.id, after, 2, protocol::sort_order::desc, alice);
    std::printf("page %d:", ++page_no);
    for (const auto& item : page.data)
      std::printf(" %s", std::get<protocol::assistant_message_item>(item).content[0].text.c_str());
    std::printf("\n");
    after = page.has_more ? page.after : std::nullopt;
  } while (after);

  try {
    co_await store.load_thread(thread.id, bob);
    std::printf("bob can read alice's thread: BUG\n");
  } catch (const chatkit::error& e) {
    std::printf("bob: %s\n", e.message().c_str());
  }
  std::printf("records stored: %zu\n", store.size());
}

int main() {
  asio::io_context ioc;
  example::kv_store store;
  int status = 0;
  asio::co_spawn(ioc, demo(store), [&](std::exception_ptr e) {
    if (!e) return;
    status = 1;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "error: %s\n", ex.what());
    }
  });
  ioc.run();
  return status;
}
