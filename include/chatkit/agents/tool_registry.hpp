// tool_registry — the named set of tools an application offers (docs/tools.md#the-tool-registry): typed,
// hand-written and MCP-imported tools registered under unique names, looked up by name, bound to the caller's
// context in one step, then handed to an agent (`agent.tools = registry.tools()`) or served over MCP.
//
//   agents::tool_registry registry;
//   registry.add(add_task_tool());                 // typed_tool, make_tool, function_tool by hand
//   registry.add_all(mcp_tools);                   // tools imported from an MCP server
//   auto bound = registry.bind({agents::bind_user_id()});   // every tool that has user_id gets it bound
//   agent.tools = bound.tools();
//
// A registry is a value (copying copies the tools); it is not synchronised: build it, then share it read-only
// or copy it per request.
#pragma once

#include <chatkit/agents/context_binding.hpp>
#include <chatkit/agents/tool.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace chatkit::agents {

class tool_registry {
 public:
  tool_registry() = default;
  explicit tool_registry(std::vector<function_tool> tools);

  // Registers `tool` (checked with function_tool::check). Throws user_error when the name is taken.
  void add(function_tool tool);
  void add_all(std::vector<function_tool> tools);
  // Adds `tool`, replacing a tool of the same name. Returns whether one was replaced.
  bool add_or_replace(function_tool tool);
  // Removes the tool named `name`; returns whether there was one.
  bool remove(std::string_view name);

  const function_tool* find(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  std::size_t size() const noexcept { return tools_.size(); }
  bool empty() const noexcept { return tools_.empty(); }

  // The tools in registration order (for agent::tools).
  const std::vector<function_tool>& tools() const noexcept { return tools_; }
  std::vector<std::string_view> names() const;

  // A copy in which every tool whose schema has a top-level property named like one of `bindings` is wrapped
  // with bind_context for those bindings; tools without such a property are copied unchanged. A tool that
  // already has a parameter bound keeps it bound.
  tool_registry bind(const std::vector<context_binding>& bindings,
                     bound_argument_policy policy = bound_argument_policy::refuse) const;

  // Grows on every change, so a cache (an MCP server's list cursor, a client's tool list) can tell it is stale.
  std::uint64_t version() const noexcept { return version_; }

 private:
  std::vector<function_tool> tools_;
  std::uint64_t version_ = 0;
};

}  // namespace chatkit::agents
