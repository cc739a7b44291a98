// answer_buffer / recycle_answer_buffer: a recycled body's memory serves the next answer of the same thread.
#include <chatkit/server/answer_buffers.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

namespace cs = chatkit::server;

namespace {

// Takes every buffer this thread keeps, so that each test starts from none.
void drain() {
  for (int i = 0; i < 16; ++i) (void)cs::answer_buffer(0);
}

}  // namespace

TEST_CASE("a recycled answer's memory is handed out again, empty", "[server][answer_buffers]") {
  drain();
  auto body = cs::answer_buffer(10'000);
  CHECK(body.empty());
  CHECK(body.capacity() >= 10'000);
  body.assign(9'000, 'x');
  const char* memory = body.data();
  cs::recycle_answer_buffer(std::move(body));
  auto again = cs::answer_buffer(5'000);
  CHECK(again.data() == memory);
  CHECK(again.empty());
  // Asking for more than a kept buffer holds grows it.
  cs::recycle_answer_buffer(std::move(again));
  CHECK(cs::answer_buffer(100'000).capacity() >= 100'000);
}

TEST_CASE("tiny, huge and surplus buffers are not kept", "[server][answer_buffers]") {
  drain();
  std::string tiny;
  tiny.reserve(100);
  cs::recycle_answer_buffer(std::move(tiny));
  std::string huge;
  huge.reserve(1 << 20);
  cs::recycle_answer_buffer(std::move(huge));
  CHECK(cs::answer_buffer(0).capacity() < 1'000);  // nothing kept: a fresh string

  std::vector<const char*> given;
  for (int i = 0; i < 10; ++i) {
    std::string b;
    b.reserve(4'096);
    given.push_back(b.data());
    cs::recycle_answer_buffer(std::move(b));
  }
  int reused = 0;
  for (int i = 0; i < 10; ++i) {
    const auto b = cs::answer_buffer(0);
    for (const char* p : given) reused += b.data() == p ? 1 : 0;
  }
  CHECK(reused == 8);  // a few per thread, the rest freed
}

TEST_CASE("buffers are kept per thread", "[server][answer_buffers]") {
  drain();
  std::string b;
  b.reserve(8'192);
  const char* memory = b.data();
  cs::recycle_answer_buffer(std::move(b));
  const char* other = nullptr;
  std::thread([&] { other = cs::answer_buffer(8'192).data(); }).join();
  CHECK(other != memory);
  CHECK(cs::answer_buffer(1).data() == memory);
}
