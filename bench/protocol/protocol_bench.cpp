// Protocol throughput: serialising events (a 1,000-delta stream, a 20-item thread page) and parsing a
// realistic mix of requests. Prints MB/s and objects/s on one core; nothing is asserted.
//
//   bench_protocol          everything
//   bench_protocol parse    the request mix only
//   bench_protocol profile  parse_request alone on the mix for 5 s (run it under `perf record -g`)
//
// The request mix is parsed three ways in the same run, alternating in short rounds timed by the thread's CPU
// clock, keeping each one's best round (the machine may be shared): Boost.JSON alone into a reused arena (the
// floor), the tree reader (parse into a Boost.JSON value under the limits, then read the value: what
// parse_request did before the single pass), and parse_request.
#include "common/alloc_counter.hpp"
#include "common/timing.hpp"

#include <chatkit/protocol.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace cp = chatkit::protocol;
using chatkit::bench::measure;

namespace {

std::vector<cp::stream_event> delta_stream() {
  std::vector<cp::stream_event> events;
  cp::assistant_message_item msg;
  msg.id = "msg_0123456789abcdef0123456789abcdef";
  msg.thread_id = "thr_4f1c9a2b";
  msg.created_at = cp::timestamp::from_civil(2026, 11, 25, 11, 23, 42, 535540);
  events.emplace_back(cp::item_added_event{msg});
  events.emplace_back(cp::item_updated_event{msg.id, cp::content_part_added{0, {}}});
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    std::string delta = (i % 7 == 0) ? " the \"quick\" fox" : " token";
    text += delta;
    events.emplace_back(cp::item_updated_event{msg.id, cp::content_part_text_delta{0, delta}});
  }
  events.emplace_back(cp::item_updated_event{msg.id, cp::content_part_done{0, {{}, text}}});
  msg.content.push_back({{}, text});
  events.emplace_back(cp::item_done_event{msg});
  return events;
}

cp::item_page thread_page() {
  cp::item_page page;
  for (int i = 0; i < 20; ++i) {
    if (i % 2 == 0) {
      cp::user_message_item u;
      u.id = "msg_" + std::to_string(10000000 + i);
      u.thread_id = "thr_4f1c9a2b";
      u.created_at = cp::timestamp::from_civil(2026, 11, 25, 11, 23, i, 1000 * i);
      u.content.push_back(
          cp::input_text{"Could you summarise the quarterly report and list three risks? héllo ✓"});
      u.content.push_back(cp::input_tag{"ent_1", "Ada", boost::json::object{{"k", "v"}}, "people", true});
      page.data.emplace_back(std::move(u));
    } else {
      cp::assistant_message_item a;
      a.id = "msg_" + std::to_string(20000000 + i);
      a.thread_id = "thr_4f1c9a2b";
      a.created_at = cp::timestamp::from_civil(2026, 11, 25, 11, 23, i, 2000 * i);
      cp::output_text part;
      part.text = std::string(600, 'x') + " with \"quotes\" and a newline\n and more text.";
      part.annotations.push_back(
          cp::annotation{cp::url_source{"Docs", {}, {}, {}, "https://example.com/docs", {}}, 12});
      a.content.push_back(std::move(part));
      page.data.emplace_back(std::move(a));
    }
  }
  page.has_more = true;
  page.after = "msg_20000019";
  return page;
}

std::vector<std::string> request_mix() {
  return {
      R"({"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"Look at the attached chart and tell me what changed since last quarter, in detail please."},{"type":"input_tag","id":"ent_1","text":"Ada","data":{"k":"v"},"group":"people","interactive":true}],"attachments":["atc_542a2f0f"],"quoted_text":"some earlier text","inference_options":{"model":"gpt-4.1","tool_choice":{"id":"search"}}}},"metadata":{"source":"sidebar"}})",
      R"({"type":"threads.add_user_message","params":{"thread_id":"thr_4f1c9a2b","input":{"content":[{"type":"input_text","text":"More please, and make it shorter this time."}],"attachments":[],"inference_options":{}}}})",
      R"({"type":"threads.list","params":{"limit":20,"order":"desc","after":"thr_042a0929"}})",
      R"({"type":"items.list","params":{"thread_id":"thr_4f1c9a2b","limit":20,"order":"asc","after":"msg_ba94edbe"}})",
      R"({"type":"threads.custom_action","params":{"thread_id":"thr_4f1c9a2b","item_id":"msg_91484648","action":{"type":"press","payload":{"n":1,"form":{"name":"Ada","when":"2026-11-25"}}}}})",
      R"({"type":"threads.add_structured_input","params":{"thread_id":"thr_4f1c9a2b","item_id":"msg_a20a3712","input":{"answers":{"color":{"values":["blue"]},"note":{"values":["none"],"skipped":false}}}}})",
  };
}

void report(const char* what, double bytes, double objects, chatkit::bench::rate r, std::uint64_t allocs) {
  std::printf("%-44s %9.1f MB/s %12.0f objects/s %8.2f allocs/object\n", what,
              bytes * r.iterations / r.seconds / 1e6, objects * r.iterations / r.seconds,
              static_cast<double>(allocs) / (objects * r.iterations));
}

// CPU time of this thread, in seconds: time the thread spends descheduled on a busy machine is not counted.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs body() until `min_seconds` of thread CPU time have passed.
template <class F>
chatkit::bench::rate measure_cpu(F&& body, double min_seconds) {
  const double start = thread_seconds();
  double iterations = 0, elapsed = 0;
  do {
    for (int i = 0; i < 16; ++i) body();
    iterations += 16;
    elapsed = thread_seconds() - start;
  } while (elapsed < min_seconds);
  return {elapsed, iterations};
}

// The request mix, three ways (see the top of the file).
void parse_requests() {
  const auto mix = request_mix();
  double bytes = 0;
  for (const auto& m : mix) bytes += static_cast<double>(m.size());
  const double objects = static_cast<double>(mix.size());
  const cp::read_limits limits;

  // The tree reader: the same limits, the same 4 KiB stack arena parse_request used.
  auto tree_read = [&limits](const std::string& body) {
    unsigned char buffer[4096];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    return cp::read_json<cp::request>(cp::parse_json_text(body, limits, &arena), limits);
  };
  // Validate before measuring: both readers give the same request.
  for (const auto& m : mix) {
    if (cp::to_json(cp::parse_request(m, limits)) != cp::to_json(tree_read(m))) {
      std::fprintf(stderr, "the readers disagree on %s\n", m.c_str());
      std::exit(1);
    }
  }

  unsigned char arena_buffer[4096];
  boost::json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  struct way {
    const char* name;
    double best_rate = 0;  // requests/s
    double allocs = 0;     // per request, in the best round
  };
  way boost_alone{"Boost.JSON parse alone (reused arena)"}, tree{"tree reader (parse, then read the value)"},
      single{"parse_request (single pass)"};
  auto round = [&](way& w, auto&& body) {
    const auto before = chatkit::bench::allocations.load();
    const auto r = measure_cpu(body, 0.1);
    const double rate = objects * r.iterations / r.seconds;
    if (rate > w.best_rate) {
      w.best_rate = rate;
      w.allocs = static_cast<double>(chatkit::bench::allocations.load() - before) / (objects * r.iterations);
    }
  };
  constexpr int rounds = 20;
  for (int i = 0; i < rounds; ++i) {
    round(boost_alone, [&] {
      for (const auto& m : mix) {
        arena.release();
        boost::json::parse_options options;
        options.max_depth = limits.max_depth;
        (void)boost::json::parse(m, &arena, options);
      }
    });
    round(tree, [&] {
      for (const auto& m : mix) (void)tree_read(m);
    });
    round(single, [&] {
      for (const auto& m : mix) (void)cp::parse_request(m, limits);
    });
  }
  std::printf("request mix: %zu bodies, %.0f bytes; best of %d alternating rounds (thread CPU time)\n",
              mix.size(), bytes, rounds);
  for (const way* w : {&boost_alone, &tree, &single})
    std::printf("parse request mix: %-41s %9.1f MB/s %12.0f requests/s %8.2f allocs/request\n", w->name,
                bytes * w->best_rate / objects / 1e6, w->best_rate, w->allocs);
  // Time per byte relative to Boost.JSON alone: the typed layer's cost is what exceeds 1.
  const double tree_vs = boost_alone.best_rate / tree.best_rate;
  const double single_vs = boost_alone.best_rate / single.best_rate;
  std::printf(
      "time relative to Boost.JSON alone: tree reader %.2fx, single pass %.2fx "
      "(typed layer cost: %+.0f%% and %+.0f%% of Boost.JSON's time; target: under +50%%)\n",
      tree_vs, single_vs, (tree_vs - 1) * 100, (single_vs - 1) * 100);
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("chatkit protocol benchmark (one core)\n");
  if (argc > 1 && std::strcmp(argv[1], "parse") == 0) {
    parse_requests();
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "profile") == 0) {
    const auto mix = request_mix();
    const auto r = measure(
        [&] {
          for (const auto& m : mix) (void)cp::parse_request(m);
        },
        5.0);
    std::printf("%.0f requests in %.2f s: %.0f requests/s\n", static_cast<double>(mix.size()) * r.iterations,
                r.seconds, static_cast<double>(mix.size()) * r.iterations / r.seconds);
    return 0;
  }
  {
    const auto events = delta_stream();
    std::string out;
    out.reserve(1 << 20);
    std::size_t bytes = 0;
    for (const auto& e : events) cp::append_sse_frame(out, e);
    bytes = out.size();
    const auto before = chatkit::bench::allocations.load();
    auto r = measure([&] {
      out.clear();
      for (const auto& e : events) cp::append_sse_frame(out, e);
    });
    report("serialise 1,000-delta event stream (SSE)", static_cast<double>(bytes),
           static_cast<double>(events.size()), r, chatkit::bench::allocations.load() - before);
  }
  {
    const auto page = thread_page();
    std::string out;
    out.reserve(1 << 16);
    cp::json_writer w(out);
    cp::write_json(w, page);
    const double bytes = static_cast<double>(out.size());
    const auto before = chatkit::bench::allocations.load();
    auto r = measure([&] {
      out.clear();
      cp::json_writer writer(out);
      cp::write_json(writer, page);
    });
    report("serialise 20-item thread page", bytes, 1, r, chatkit::bench::allocations.load() - before);
    const auto parsed_text = out;
    const auto before_parse = chatkit::bench::allocations.load();
    auto rp = measure([&] { (void)cp::from_json_text<cp::item_page>(parsed_text); });
    report("parse 20-item thread page", bytes, 1, rp, chatkit::bench::allocations.load() - before_parse);
  }
  parse_requests();
  return 0;
}
