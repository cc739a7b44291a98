// Protocol throughput: serialising events (a 1,000-delta stream, a 20-item thread page) and parsing a
// realistic mix of requests. Prints MB/s and objects/s on one core; nothing is asserted.
#include "common/alloc_counter.hpp"
#include "common/timing.hpp"

#include <chatkit/protocol.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>
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

}  // namespace

int main() {
  std::printf("chatkit protocol benchmark (one core)\n");
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
  {
    const auto mix = request_mix();
    double bytes = 0;
    for (const auto& m : mix) bytes += static_cast<double>(m.size());
    const auto before = chatkit::bench::allocations.load();
    auto r = measure([&] {
      for (const auto& m : mix) (void)cp::parse_request(m);
    });
    report("parse request mix (6 types)", bytes, static_cast<double>(mix.size()), r,
           chatkit::bench::allocations.load() - before);
    // The floor: Boost.JSON alone parsing the same bodies into an arena (no typed request).
    const auto before_raw = chatkit::bench::allocations.load();
    auto raw = measure([&] {
      for (const auto& m : mix) {
        unsigned char buffer[4096];
        boost::json::monotonic_resource arena(buffer, sizeof buffer);
        (void)boost::json::parse(m, &arena);
      }
    });
    report("  (Boost.JSON parse alone, same mix)", bytes, static_cast<double>(mix.size()), raw,
           chatkit::bench::allocations.load() - before_raw);
  }
  return 0;
}
