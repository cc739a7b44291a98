// turn_fsm: the turn loop driven with plain values — no io_context, no socket, no scripted server. A small
// driver plays the world: it answers call_model/read_model with canned responses and run_tools with
// outcomes computed from the calls, and records every action.
#include "agents/detail/turn_fsm.hpp"

#include <chatkit/agents/runner.hpp>

#include <boost/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace chatkit;
using namespace chatkit::agents;
namespace json = boost::json;
namespace fsm_in = chatkit::agents::detail::turn_inputs;
namespace fsm_out = chatkit::agents::detail::turn_actions;
using detail::call_outcome;
using detail::turn_action;
using detail::turn_fsm;

namespace {

// Never called: the state machine only needs to know that a model is configured.
struct unused_model final : model {
  boost::asio::awaitable<std::unique_ptr<model_stream>> stream(json::object) override { co_return nullptr; }
};

openai::usage tokens(std::int64_t in, std::int64_t out) {
  openai::usage u;
  u.input_tokens = in;
  u.output_tokens = out;
  u.total_tokens = in + out;
  return u;
}

openai::output_item message(const std::string& id, const std::string& text,
                            const std::string& part = "output_text") {
  openai::output_item m;
  m.type = "message";
  m.id = id;
  m.role = "assistant";
  m.content.push_back({part, text, {}});
  return m;
}

openai::output_item call(const std::string& call_id, const std::string& name,
                         const std::string& args = "{}") {
  openai::output_item c;
  c.type = "function_call";
  c.id = "fc_" + call_id;
  c.call_id = call_id;
  c.name = name;
  c.arguments = args;
  return c;
}

openai::response response(const std::string& id, std::vector<openai::output_item> output,
                          openai::usage u = tokens(10, 5)) {
  openai::response r;
  r.id = id;
  r.status = "completed";
  r.output = std::move(output);
  r.usage = u;
  return r;
}

function_tool tool(const std::string& name) {
  function_tool t;
  t.name = name;
  t.description = "test tool";
  t.parameters = json::object{{"type", "object"},
                              {"properties", json::object{}},
                              {"required", json::array{}},
                              {"additionalProperties", false}};
  return t;  // never invoked: the driver answers run_tools itself
}

agent test_agent(std::vector<std::string> tools = {"lookup"}) {
  agent a;
  a.name = "Tester";
  a.instructions = std::string("Be brief.");
  a.model = "gpt-test";
  for (auto& n : tools) a.tools.push_back(tool(n));
  return a;
}

std::string describe(const run_event& ev) {
  if (auto* i = std::get_if<run_item_event>(&ev)) {
    const auto& item = *i->item;
    const std::string key = item.type == run_item_type::tool_call_output ? item.call_id
                            : item.item.is_function_call()               ? item.item.call_id
                                                                         : item.item.id;
    return std::string(to_string(i->name)) + "(" + key + ")";
  }
  if (auto* r = std::get_if<raw_response_event>(&ev))
    return "raw:" + std::string(openai::event_type(r->event));
  if (std::holds_alternative<agent_updated_event>(ev)) return "agent";
  return "usage";
}

std::string hook_name(detail::hook_point p) {
  switch (p) {
    case detail::hook_point::agent_start:
      return "hook:agent_start";
    case detail::hook_point::llm_start:
      return "hook:llm_start";
    case detail::hook_point::llm_end:
      return "hook:llm_end";
    case detail::hook_point::agent_end:
      return "hook:agent_end";
  }
  return "hook:?";
}

// The world the state machine talks to.
struct world {
  std::vector<openai::response> responses;  // one per model call, in order
  // The outcome of one tool call; by default the text "<name>:<call_id>".
  std::function<call_outcome(const detail::tool_call&)> run_tool = [](const detail::tool_call& c) {
    call_outcome o;
    o.output = tool_output(c.call->name + ":" + c.call->call_id);
    return o;
  };
  std::function<void(turn_fsm&, const turn_action&)> before;  // sees each action before it is answered

  std::vector<std::string> log;  // events, hooks, "model", "tools:a,b", "instructions", and the end
  std::vector<json::object> requests;
  std::vector<std::vector<std::string>> tool_batches;
  std::exception_ptr error;

  void drive(turn_fsm& fsm) {
    std::size_t next_response = 0;
    const openai::response* current = nullptr;
    bool completed_sent = false;
    detail::turn_input in = fsm_in::resumed{};
    for (int guard = 0; guard < 1000; ++guard) {
      auto action = fsm.resume(std::move(in));
      in = fsm_in::resumed{};
      if (before) before(fsm, action);
      if (auto* e = std::get_if<fsm_out::emit>(&action)) {
        log.push_back(describe(e->event));
      } else if (std::holds_alternative<fsm_out::evaluate_instructions>(action)) {
        log.push_back("instructions");
        in = fsm_in::instructions_ready{"dynamic #" + std::to_string(requests.size() + 1)};
      } else if (auto* h = std::get_if<fsm_out::call_hook>(&action)) {
        log.push_back(hook_name(h->point));
      } else if (auto* m = std::get_if<fsm_out::call_model>(&action)) {
        log.push_back("model");
        requests.push_back(m->request);
        REQUIRE(next_response < responses.size());
        current = &responses[next_response++];
        completed_sent = false;
      } else if (std::holds_alternative<fsm_out::read_model>(action)) {
        if (!completed_sent) {
          openai::response_completed done;
          done.response = *current;
          in = fsm_in::model_event{done, current};
          completed_sent = true;
        } else {
          in = fsm_in::model_finished{*current};
        }
      } else if (auto* t = std::get_if<fsm_out::run_tools>(&action)) {
        std::vector<std::string> names;
        std::vector<call_outcome> outcomes;
        for (const auto& c : t->calls) {
          names.push_back(c.call->call_id);
          outcomes.push_back(run_tool(c));
        }
        tool_batches.push_back(names);
        std::string joined;
        for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
        log.push_back("tools:" + joined);
        in = fsm_in::tools_finished{std::move(outcomes)};
      } else if (std::holds_alternative<fsm_out::finished>(action)) {
        log.push_back("finished");
        return;
      } else if (auto* f = std::get_if<fsm_out::fail>(&action)) {
        error = f->error;
        log.push_back("fail");
        return;
      } else {
        log.push_back("cancelled");
        return;
      }
    }
    FAIL("the state machine did not end");
  }

  template <class E>
  std::string error_message() const {
    try {
      std::rethrow_exception(error);
    } catch (const E& e) {
      return e.what();
    } catch (const std::exception& e) {
      return std::string("wrong exception: ") + e.what();
    } catch (...) {
      return "no exception";
    }
  }
};

using strings = std::vector<std::string>;

struct fixture {
  request_context alice{"alice", {}, {}};
  run_context ctx{alice};
  run_options opts{.model = std::make_shared<unused_model>()};
};

json::array user_input(const std::string& text) {
  return json::array{json::object{{"role", "user"}, {"content", text}}};
}

}  // namespace

TEST_CASE("turn_fsm: a final answer, action by action", "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent();
  turn_fsm fsm(a, f.ctx, f.opts, user_input("Hi"));

  auto act = fsm.resume(fsm_in::resumed{});
  REQUIRE(std::holds_alternative<fsm_out::emit>(act));
  CHECK(std::holds_alternative<agent_updated_event>(std::get<fsm_out::emit>(act).event));

  act = fsm.resume(fsm_in::resumed{});
  REQUIRE(std::holds_alternative<fsm_out::call_model>(act));
  const auto& request = std::get<fsm_out::call_model>(act).request;
  CHECK(request.at("model") == "gpt-test");
  CHECK(request.at("instructions") == "Be brief.");
  CHECK(request.at("input") == json::value(user_input("Hi")));
  CHECK(request.at("tools").as_array().at(0).at("name") == "lookup");
  CHECK(fsm.turn() == 1);

  CHECK(std::holds_alternative<fsm_out::read_model>(fsm.resume(fsm_in::resumed{})));
  // A text delta is passed through as a raw event; then the stream asks for more.
  openai::output_text_delta delta;
  delta.text = "Hel";
  act = fsm.resume(fsm_in::model_event{delta, nullptr});
  REQUIRE(std::holds_alternative<fsm_out::emit>(act));
  REQUIRE(text_delta(std::get<fsm_out::emit>(act).event));
  CHECK(*text_delta(std::get<fsm_out::emit>(act).event) == "Hel");
  CHECK(std::holds_alternative<fsm_out::read_model>(fsm.resume(fsm_in::resumed{})));

  auto r = response("resp_1", {message("msg_1", "Hello")}, tokens(7, 3));
  openai::response_completed done;
  done.response = r;
  CHECK(std::holds_alternative<fsm_out::emit>(fsm.resume(fsm_in::model_event{done, &r})));
  CHECK(std::holds_alternative<fsm_out::read_model>(fsm.resume(fsm_in::resumed{})));

  act = fsm.resume(fsm_in::model_finished{r});
  REQUIRE(std::holds_alternative<fsm_out::emit>(act));
  const auto* usage = std::get_if<usage_event>(&std::get<fsm_out::emit>(act).event);
  REQUIRE(usage);
  CHECK(usage->response.input_tokens == 7);
  act = fsm.resume(fsm_in::resumed{});
  REQUIRE(std::holds_alternative<fsm_out::emit>(act));
  CHECK(describe(std::get<fsm_out::emit>(act).event) == "message_output_created(msg_1)");
  CHECK(std::holds_alternative<fsm_out::finished>(fsm.resume(fsm_in::resumed{})));

  CHECK(fsm.is_over());
  CHECK(fsm.final_output() == "Hello");
  CHECK(fsm.last_response_id() == "resp_1");
  CHECK(fsm.responses().size() == 1);
  CHECK(fsm.to_input_list().size() == 2);
  // Over is over: every later resume repeats the outcome, and cancel() has nothing to stop.
  CHECK(std::holds_alternative<fsm_out::finished>(fsm.resume(fsm_in::resumed{})));
  CHECK_FALSE(fsm.cancel(cancel_mode::immediate));
  CHECK_FALSE(fsm.was_cancelled());
}

TEST_CASE("turn_fsm: one tool round, then the answer", "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent();
  turn_fsm fsm(a, f.ctx, f.opts, user_input("Look it up"));
  world w;
  w.responses = {response("resp_1", {call("c1", "lookup", "{\"q\":1}")}),
                 response("resp_2", {message("msg_2", "Found.")})};
  w.drive(fsm);
  CHECK(w.log == strings{"agent", "model", "raw:response.completed", "usage", "tool_called(c1)", "tools:c1",
                         "tool_output(c1)", "model", "raw:response.completed", "usage",
                         "message_output_created(msg_2)", "finished"});
  CHECK(fsm.final_output() == "Found.");
  REQUIRE(w.requests.size() == 2);
  const auto& input = w.requests[1].at("input").as_array();
  REQUIRE(input.size() == 3);
  CHECK(input[1].at("type") == "function_call");
  CHECK(input[1].at("arguments") == "{\"q\":1}");
  CHECK(input[2] == json::value(json::object{
                        {"type", "function_call_output"}, {"call_id", "c1"}, {"output", "lookup:c1"}}));
  REQUIRE(fsm.items().size() == 3);
  CHECK(fsm.items()[1].type == run_item_type::tool_call_output);
  CHECK(fsm.items()[1].tool_name == "lookup");
}

TEST_CASE("turn_fsm: parallel calls are one run_tools action; outputs keep call order",
          "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent({"weather", "time"});
  turn_fsm fsm(a, f.ctx, f.opts, user_input("Paris and Tokyo?"));
  world w;
  w.responses = {response("resp_1", {call("c_a", "weather"), call("c_b", "time"), call("c_c", "weather")}),
                 response("resp_2", {message("msg_2", "Done.")})};
  w.drive(fsm);
  CHECK(w.tool_batches == std::vector<strings>{{"c_a", "c_b", "c_c"}});
  const auto& input = w.requests.at(1).at("input").as_array();
  REQUIRE(input.size() == 7);
  CHECK(input[4].at("output") == "weather:c_a");
  CHECK(input[5].at("output") == "time:c_b");
  CHECK(input[6].at("output") == "weather:c_c");
  const strings outputs(w.log.begin() + 8, w.log.begin() + 11);
  CHECK(outputs == strings{"tool_output(c_a)", "tool_output(c_b)", "tool_output(c_c)"});
}

TEST_CASE("turn_fsm: unknown, disabled and failing tools", "[agents][turn_fsm]") {
  fixture f;
  SECTION("an unknown tool fails the run after the events before it") {
    auto a = test_agent();
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup"), call("c2", "launch_rockets")})};
    w.drive(fsm);
    CHECK(w.log == strings{"agent", "model", "raw:response.completed", "usage", "tool_called(c1)", "fail"});
    CHECK(w.error_message<model_behavior_error>() ==
          "model called the unknown tool 'launch_rockets' (agent 'Tester')");
  }
  SECTION("return_error_to_model answers the unknown call itself") {
    f.opts.on_unknown_tool = tool_not_found_policy::return_error_to_model;
    auto a = test_agent();
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "launch_rockets"), call("c2", "lookup")}),
                   response("resp_2", {message("msg_2", "ok")})};
    w.drive(fsm);
    CHECK(w.tool_batches == std::vector<strings>{{"c2"}});  // only the known tool runs
    const auto& input = w.requests.at(1).at("input").as_array();
    CHECK(input[3].at("output") == "Tool 'launch_rockets' not found.");
    CHECK(input[4].at("output") == "lookup:c2");
    CHECK(fsm.items()[2].failed);
  }
  SECTION("a disabled tool is not offered, and calling it is a model error") {
    auto a = test_agent();
    a.tools[0].is_enabled = [](const run_context&) { return false; };
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup")})};
    w.drive(fsm);
    CHECK_FALSE(w.requests.at(0).contains("tools"));
    CHECK(w.error_message<model_behavior_error>() ==
          "model called the disabled tool 'lookup' of agent 'Tester'");
  }
  SECTION("a tool's run error fails the run; the first in call order wins") {
    auto a = test_agent();
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup"), call("c2", "lookup")})};
    w.run_tool = [](const detail::tool_call& c) {
      call_outcome o;
      o.run_error = std::make_exception_ptr(std::runtime_error("fatal " + c.call->call_id));
      return o;
    };
    w.drive(fsm);
    CHECK(w.error_message<std::runtime_error>() == "fatal c1");
    CHECK(w.log.back() == "fail");
    CHECK(std::count(w.log.begin(), w.log.end(), "tool_output(c1)") == 0);
  }
}

TEST_CASE("turn_fsm: max_turns ends a run that keeps calling tools", "[agents][turn_fsm]") {
  fixture f;
  f.opts.max_turns = 2;
  auto a = test_agent();
  turn_fsm fsm(a, f.ctx, f.opts, user_input("loop"));
  world w;
  w.responses = {response("resp_1", {call("c1", "lookup")}), response("resp_2", {call("c2", "lookup")}),
                 response("resp_3", {call("c3", "lookup")})};
  w.drive(fsm);
  CHECK(w.requests.size() == 2);
  CHECK(w.error_message<max_turns_exceeded>() == "max turns (2) exceeded");
  CHECK(w.log.end()[-2] == "tool_output(c2)");
  SECTION("the agent's own max_turns wins") {
    auto b = test_agent();
    b.max_turns = 1;
    turn_fsm fsm1(b, f.ctx, f.opts, user_input("loop"));
    world w1;
    w1.responses = w.responses;
    w1.drive(fsm1);
    CHECK(w1.requests.size() == 1);
    CHECK(w1.error_message<max_turns_exceeded>() == "max turns (1) exceeded");
  }
}

TEST_CASE("turn_fsm: stop_on_first_tool, stop_at_tools and ends_run make a tool's output final",
          "[agents][turn_fsm]") {
  fixture f;
  for (int variant = 0; variant < 4; ++variant) {
    CAPTURE(variant);
    auto a = test_agent({"lookup", "save"});
    if (variant == 0) a.tool_use_behavior = stop_on_first_tool{};
    if (variant == 1) a.tool_use_behavior = stop_at_tools{{"save"}};
    if (variant == 2) a.tools[1].ends_run = true;
    // variant 3: run_llm_again (the default) sends the outputs back.
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup"), call("c2", "save")}),
                   response("resp_2", {message("msg_2", "again")})};
    w.drive(fsm);
    if (variant == 3) {
      CHECK(w.requests.size() == 2);
      CHECK(fsm.final_output() == "again");
    } else {
      CHECK(w.requests.size() == 1);
      // stop_on_first_tool: the first output in call order; the others: the first listed / ending tool.
      CHECK(fsm.final_output() == (variant == 0 ? "lookup:c1" : "save:c2"));
      CHECK(w.log.end()[-2] == "tool_output(c2)");  // every output is delivered before the end
      CHECK(w.log.back() == "finished");
    }
  }
}

TEST_CASE("turn_fsm: tool_choice is reset after a tool ran, unless the agent keeps it",
          "[agents][turn_fsm]") {
  fixture f;
  for (bool reset : {true, false}) {
    auto a = test_agent();
    a.settings.tool_choice = "lookup";
    a.reset_tool_choice = reset;
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup")}), response("resp_2", {message("msg_2", "ok")})};
    w.drive(fsm);
    REQUIRE(w.requests.size() == 2);
    CHECK(w.requests[0].at("tool_choice") ==
          json::value(json::object{{"type", "function"}, {"name", "lookup"}}));
    CHECK(w.requests[1].contains("tool_choice") == !reset);
  }
}

TEST_CASE("turn_fsm: cancel before, during and after a turn", "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent();
  SECTION("immediate, before the first model call") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    CHECK(fsm.cancel(cancel_mode::immediate));  // the adapter must stop the stream and the tools
    world w;
    w.drive(fsm);
    CHECK(w.log == strings{"agent", "cancelled"});
    CHECK(fsm.was_cancelled());
    CHECK(fsm.final_output().is_null());
  }
  SECTION("immediate, while the model streams: the stream's cancellation ends the run quietly") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    CHECK(std::holds_alternative<fsm_out::emit>(fsm.resume(fsm_in::resumed{})));
    CHECK(std::holds_alternative<fsm_out::call_model>(fsm.resume(fsm_in::resumed{})));
    CHECK(std::holds_alternative<fsm_out::read_model>(fsm.resume(fsm_in::resumed{})));
    CHECK(fsm.cancel(cancel_mode::immediate));
    auto act = fsm.resume(fsm_in::failed{std::make_exception_ptr(std::runtime_error("cancelled")), true});
    CHECK(std::holds_alternative<fsm_out::cancelled>(act));
    CHECK(fsm.was_cancelled());
  }
  SECTION("a failure that is not the cancellation stays a failure") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    fsm.resume(fsm_in::resumed{});
    fsm.resume(fsm_in::resumed{});
    auto act = fsm.resume(fsm_in::failed{std::make_exception_ptr(std::runtime_error("reset")), true});
    CHECK(std::holds_alternative<fsm_out::fail>(act));  // nobody called cancel()
  }
  SECTION("immediate, while the tools run: their outputs are not reported") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup")})};
    w.before = [](turn_fsm& m, const turn_action& act) {
      if (std::holds_alternative<fsm_out::run_tools>(act)) m.cancel(cancel_mode::immediate);
    };
    w.drive(fsm);
    CHECK(w.log == strings{"agent", "model", "raw:response.completed", "usage", "tool_called(c1)", "tools:c1",
                           "cancelled"});
  }
  SECTION("after_turn: the turn completes, the next one does not start") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {call("c1", "lookup")}), response("resp_2", {message("m", "unused")})};
    w.before = [](turn_fsm& m, const turn_action& act) {
      if (std::holds_alternative<fsm_out::run_tools>(act)) CHECK_FALSE(m.cancel(cancel_mode::after_turn));
    };
    w.drive(fsm);
    CHECK(w.requests.size() == 1);
    CHECK(w.log.end()[-2] == "tool_output(c1)");
    CHECK(w.log.back() == "cancelled");
  }
  SECTION("after_turn before the first turn: no model call") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    CHECK_FALSE(fsm.cancel(cancel_mode::after_turn));
    world w;
    w.drive(fsm);
    CHECK(w.log == strings{"agent", "cancelled"});
  }
  SECTION("after_turn in the last turn: the run finishes normally") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {message("msg_1", "Hi")})};
    w.before = [](turn_fsm& m, const turn_action& act) {
      if (std::holds_alternative<fsm_out::call_model>(act)) m.cancel(cancel_mode::after_turn);
    };
    w.drive(fsm);
    CHECK(w.log.back() == "finished");
    CHECK(fsm.final_output() == "Hi");
    CHECK_FALSE(fsm.was_cancelled());
  }
}

TEST_CASE("turn_fsm: previous_response_id chaining sends only new items", "[agents][turn_fsm]") {
  fixture f;
  f.opts.previous_response_id = "resp_before";
  auto a = test_agent();
  turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
  world w;
  w.responses = {response("resp_1", {call("c1", "lookup")}), response("resp_2", {call("c2", "lookup")}),
                 response("resp_3", {message("msg_3", "ok")})};
  w.drive(fsm);
  REQUIRE(w.requests.size() == 3);
  CHECK(w.requests[0].at("previous_response_id") == "resp_before");
  CHECK(w.requests[0].at("input").as_array().size() == 1);
  CHECK(w.requests[1].at("previous_response_id") == "resp_1");
  REQUIRE(w.requests[1].at("input").as_array().size() == 1);
  CHECK(w.requests[1].at("input").as_array()[0].at("call_id") == "c1");
  CHECK(w.requests[2].at("previous_response_id") == "resp_2");
  REQUIRE(w.requests[2].at("input").as_array().size() == 1);
  CHECK(w.requests[2].at("input").as_array()[0].at("call_id") == "c2");
  // Without chaining every request carries the whole history.
  fixture g;
  turn_fsm plain(a, g.ctx, g.opts, user_input("go"));
  world w2;
  w2.responses = w.responses;
  w2.drive(plain);
  CHECK_FALSE(w2.requests[1].contains("previous_response_id"));
  CHECK(w2.requests[2].at("input").as_array().size() == 5);
}

TEST_CASE("turn_fsm: usage is summed over the model calls", "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent();
  turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
  world w;
  w.responses = {response("resp_1", {call("c1", "lookup")}, tokens(100, 20)),
                 response("resp_2", {message("msg_2", "ok")}, tokens(130, 4))};
  std::vector<std::int64_t> per_response;
  w.before = [&](turn_fsm&, const turn_action& act) {
    if (auto* e = std::get_if<fsm_out::emit>(&act))
      if (auto* u = std::get_if<usage_event>(&e->event)) per_response.push_back(u->total->input_tokens);
  };
  w.drive(fsm);
  CHECK(per_response == std::vector<std::int64_t>{100, 230});  // the running total at each usage event
  const auto& u = f.ctx.usage();
  CHECK(u.requests == 2);
  CHECK(u.input_tokens == 230);
  CHECK(u.output_tokens == 24);
  CHECK(u.total_tokens == 254);
}

TEST_CASE("turn_fsm: hooks and dynamic instructions are actions in run order", "[agents][turn_fsm]") {
  fixture f;
  run_hooks hooks;
  f.opts.hooks = &hooks;
  auto a = test_agent();
  a.instructions = dynamic_instructions{};  // only its presence matters: the driver answers
  turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
  world w;
  w.responses = {response("resp_1", {call("c1", "lookup")}), response("resp_2", {message("msg_2", "ok")})};
  w.before = [&](turn_fsm& m, const turn_action& act) {
    if (auto* h = std::get_if<fsm_out::call_hook>(&act); h && h->point == detail::hook_point::llm_start)
      CHECK(m.instructions() == "dynamic #" + std::to_string(w.requests.size() + 1));
  };
  w.drive(fsm);
  CHECK(w.log == strings{"agent",
                         "hook:agent_start",
                         "instructions",
                         "hook:llm_start",
                         "model",
                         "raw:response.completed",
                         "hook:llm_end",
                         "usage",
                         "tool_called(c1)",
                         "tools:c1",
                         "tool_output(c1)",
                         "instructions",
                         "hook:llm_start",
                         "model",
                         "raw:response.completed",
                         "hook:llm_end",
                         "usage",
                         "message_output_created(msg_2)",
                         "hook:agent_end",
                         "finished"});
  CHECK(w.requests[1].at("instructions") == "dynamic #2");
}

TEST_CASE("turn_fsm: the model's failures end the run with typed errors", "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent();
  SECTION("response.failed: the event is delivered, then the error") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    fsm.resume(fsm_in::resumed{});
    fsm.resume(fsm_in::resumed{});
    fsm.resume(fsm_in::resumed{});
    openai::response r;
    r.status = "failed";
    r.error_code = "server_error";
    r.error_message = "boom";
    openai::response_failed ev;
    ev.response = r;
    CHECK(std::holds_alternative<fsm_out::emit>(fsm.resume(fsm_in::model_event{ev, &r})));
    auto act = fsm.resume(fsm_in::resumed{});
    REQUIRE(std::holds_alternative<fsm_out::fail>(act));
    world w;
    w.error = std::get<fsm_out::fail>(act).error;
    CHECK(w.error_message<model_response_error>() == "model response failed (server_error): boom");
  }
  SECTION("a stream that ends without a terminal event") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    fsm.resume(fsm_in::resumed{});
    fsm.resume(fsm_in::resumed{});
    fsm.resume(fsm_in::resumed{});
    auto act = fsm.resume(fsm_in::model_finished{openai::response{}});
    REQUIRE(std::holds_alternative<fsm_out::fail>(act));
    world w;
    w.error = std::get<fsm_out::fail>(act).error;
    CHECK(w.error_message<model_behavior_error>() == "model produced no final response");
  }
  SECTION("a refusal") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.responses = {response("resp_1", {message("msg_1", "I can't.", "refusal")})};
    w.drive(fsm);
    CHECK(w.error_message<model_behavior_error>() == "the model refused: I can't.");
    try {
      std::rethrow_exception(w.error);
    } catch (const model_refusal_error& e) {
      CHECK(e.refusal() == "I can't.");
    } catch (...) {
      FAIL("not a model_refusal_error");
    }
  }
  SECTION("no model configured") {
    f.opts.model = nullptr;
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    world w;
    w.drive(fsm);
    CHECK(w.log == strings{"fail"});
    CHECK_THAT(w.error_message<user_error>(), Catch::Contains("has no model"));
  }
  SECTION("an input the state does not expect") {
    turn_fsm fsm(a, f.ctx, f.opts, user_input("go"));
    auto act = fsm.resume(fsm_in::tools_finished{});
    CHECK(std::holds_alternative<fsm_out::fail>(act));
  }
}

TEST_CASE("turn_fsm: hosted tool calls alone lead to another model call", "[agents][turn_fsm]") {
  fixture f;
  auto a = test_agent();
  turn_fsm fsm(a, f.ctx, f.opts, user_input("search"));
  openai::output_item search;
  search.type = "web_search_call";
  search.id = "ws_1";
  world w;
  w.responses = {response("resp_1", {search}), response("resp_2", {message("msg_2", "Found it.")})};
  w.drive(fsm);
  CHECK(w.requests.size() == 2);
  CHECK(w.tool_batches.empty());
  CHECK(fsm.final_output() == "Found it.");
  CHECK(w.requests[1].at("input").as_array().size() == 2);
}
