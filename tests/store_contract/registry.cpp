// Registration of the contract checks with Catch2, and the helpers every check shares.
#include "check_context.hpp"

#include <chatkit/store/store.hpp>

#include <atomic>
#include <random>
#include <sstream>

namespace chatkit::store::testing {

namespace detail {

namespace {

// A per-process random prefix plus a counter: unique within the run and across runs sharing a database.
std::string unique_token() {
  static const std::string run_prefix = [] {
    std::random_device rd;
    std::ostringstream s;
    s << std::hex << rd() << rd();
    return s.str();
  }();
  static std::atomic<std::uint64_t> counter{0};
  return run_prefix + "-" + std::to_string(counter.fetch_add(1));
}

const std::vector<check>& all_checks() {
  static const std::vector<check> checks = [] {
    std::vector<check> out;
    add_thread_checks(out);
    add_item_checks(out);
    add_paging_checks(out);
    add_attachment_checks(out);
    add_isolation_checks(out);
    add_concurrency_checks(out);
    add_round_trip_checks(out);
    return out;
  }();
  return checks;
}

// Catch2 owns the invoker (it keeps it in a shared_ptr) and calls it once per run of the test case.
class check_invoker final : public Catch::ITestInvoker {
 public:
  check_invoker(const check& c, store_factory factory, contract_options options)
      : check_(c), factory_(std::move(factory)), options_(options) {}

  void invoke() const override {
    check_context ctx(factory_, options_);
    check_.run(ctx);
  }

 private:
  const check& check_;
  store_factory factory_;
  contract_options options_;
};

}  // namespace

check_context::check_context(const store_factory& factory, const contract_options& opts) : options(opts) {
  s = factory(ioc);
  REQUIRE(s != nullptr);
  const std::string token = unique_token();
  alice.user_id = "alice-" + token;
  bob.user_id = "bob-" + token;
}

check_context::~check_context() = default;

std::string check_context::id(std::string_view prefix) {
  std::string out(prefix);
  out += '_';
  out += unique_token();
  return out;
}

protocol::thread_metadata check_context::new_thread(const request_context& who, std::int64_t seconds) {
  protocol::thread_metadata t;
  t.id = id("thr");
  t.created_at = at(seconds);
  run(s->save_thread(t, who));
  return t;
}

protocol::thread_item check_context::new_item(const request_context& who, const std::string& thread_id,
                                              std::int64_t seconds, std::string text) {
  auto item = assistant_message(thread_id, id("msg"), at(seconds), std::move(text));
  run(s->add_thread_item(thread_id, item, who));
  return item;
}

protocol::timestamp at(std::int64_t seconds, std::int64_t micros) {
  static const protocol::timestamp base = protocol::timestamp::from_civil(2026, 11, 25, 10, 0, 0);
  return protocol::timestamp{base.micros + seconds * 1'000'000 + micros};
}

protocol::thread_item assistant_message(std::string thread_id, std::string id, protocol::timestamp created_at,
                                        std::string text) {
  protocol::assistant_message_item m;
  m.id = std::move(id);
  m.thread_id = std::move(thread_id);
  m.created_at = created_at;
  protocol::output_text part;
  part.text = std::move(text);
  m.content.push_back(std::move(part));
  return m;
}

std::string expect_error(chatkit::errc code, const std::function<void()>& op) {
  try {
    op();
  } catch (const chatkit::error& e) {
    INFO("message: " << e.message());
    CHECK(error_type_name(e.code_value()) == error_type_name(code));
    return e.message();
  }
  FAIL("expected a chatkit::error of type " << error_type_name(code) << ", but the operation succeeded");
  return {};
}

std::vector<std::string> ids_of(const protocol::item_page& page) {
  std::vector<std::string> out;
  for (const auto& item : page.data) out.push_back(protocol::item_id(item));
  return out;
}

std::vector<std::string> ids_of(const protocol::thread_page& page) {
  std::vector<std::string> out;
  for (const auto& t : page.data) out.push_back(t.id);
  return out;
}

namespace {
template <class Page, class Load>
std::vector<std::string> walk(std::size_t limit, Load&& load) {
  std::vector<std::string> out;
  std::optional<std::string> after;
  for (std::size_t guard = 0; guard < 100'000; ++guard) {
    Page page = load(after);
    auto ids = ids_of(page);
    REQUIRE(ids.size() <= limit);
    out.insert(out.end(), ids.begin(), ids.end());
    if (!page.has_more) {
      CHECK_FALSE(page.after.has_value());
      return out;
    }
    // A page that says there is more is full, and its cursor is its last element.
    REQUIRE(ids.size() == limit);
    REQUIRE(page.after.has_value());
    REQUIRE(*page.after == ids.back());
    after = page.after;
  }
  FAIL("pagination does not terminate");
  return out;
}
}  // namespace

std::vector<std::string> walk_items(check_context& c, const request_context& who,
                                    const std::string& thread_id, std::size_t limit,
                                    protocol::sort_order order) {
  return walk<protocol::item_page>(limit, [&](const std::optional<std::string>& after) {
    return c.run(c.s->load_thread_items(thread_id, after, limit, order, who));
  });
}

std::vector<std::string> walk_threads(check_context& c, const request_context& who, std::size_t limit,
                                      protocol::sort_order order) {
  return walk<protocol::thread_page>(limit, [&](const std::optional<std::string>& after) {
    return c.run(c.s->load_threads(limit, after, order, who));
  });
}

}  // namespace detail

std::size_t register_store_contract(std::string_view name, store_factory factory, contract_options options,
                                    const char* file, std::size_t line) {
  const auto& checks = detail::all_checks();
  for (const auto& c : checks) {
    const std::string test_name = std::string(name) + " store contract: " + c.name;
    const std::string tags = "[store_contract][" + std::string(name) + "]" + c.tag;
    Catch::AutoReg(new detail::check_invoker(c, factory, options), Catch::SourceLineInfo(file, line),
                   Catch::StringRef(),
                   Catch::NameAndTags(Catch::StringRef(test_name), Catch::StringRef(tags)));
  }
  return checks.size();
}

std::vector<std::string> store_contract_check_names() {
  std::vector<std::string> out;
  for (const auto& c : detail::all_checks()) out.push_back(c.name);
  return out;
}

}  // namespace chatkit::store::testing
