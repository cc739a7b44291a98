// bind_context — hides parameters of a tool from the model and fills them from the run context at call
// time (docs/tools.md#isolation-who-a-tool-acts-for). It wraps any function_tool (typed tools, builder tools, MCP tools):
//
//   auto tool = agents::bind_context(get_orders_full, {agents::bind_user_id()});
//   // tool.parameters has no "user_id"; each call gets user_id = run.caller().user_id of THAT call.
//
// The model can neither see nor set a bound parameter: it is removed from the schema, and an argument
// object that still carries its name at any depth (top level, or inside an open object or array) is refused
// (or, with bound_argument_policy::overwrite, every such value is dropped) and reported through
// run_context::report. The runner does this before on_tool_start, so hooks, the handler and
// tool_context::raw_arguments never see a forged value. Bound values are computed on every call and never
// cached. A binder that fails makes the call fail with exactly "not authorized", so no identifier leaks
// into what the model sees.
#pragma once

#include <chatkit/agents/run_context.hpp>
#include <chatkit/agents/tool.hpp>

#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <vector>

namespace chatkit::agents {

// A parameter filled by the server: `binder` computes its value from the current run. A binder signals
// "no value for this caller" by throwing; the call then fails with "not authorized".
struct context_binding {
  std::string name;
  std::function<boost::json::value(const run_context&)> binder;
};

// bound_argument_policy (what to do when the model's arguments contain a bound name anyway) is in tool.hpp.

// The message of the tool_argument_error thrown under bound_argument_policy::refuse.
std::string bound_parameter_refusal(std::string_view parameter);

// Wraps `inner` so that each binding's parameter is filled from the run context. The result has the
// same name, description and options as `inner`; its `parameters` is inner's schema with the bound names
// removed from "properties" and "required"; its `bound_parameters` lists inner's bound names and these.
// Throws user_error when a binding has no name or no binder, names a parameter twice, names something
// that is not a top-level property of inner's schema, or when the schema would still have a property or
// a "required" entry of that name somewhere nested (the model could then supply a value under that name,
// e.g. {"filter": {"user_id": ...}}). Free text (descriptions) is not searched: the words of a bound
// name such as "tenant" may legitimately appear in prose.
function_tool bind_context(function_tool inner, std::vector<context_binding> bindings,
                           bound_argument_policy policy = bound_argument_policy::refuse);

// user_id = run.caller().user_id; fails when the caller has no user id.
context_binding bind_user_id(std::string name = "user_id");
// `name` = run.caller().claims[claim] (any JSON value); fails when the claim is absent or null.
context_binding bind_claim(std::string name, std::string claim);

}  // namespace chatkit::agents
