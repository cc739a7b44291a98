// The tools of examples/mcp_server: echo, add (structured result), whoami (bound to the caller's user id),
// and the test_* tools the conformance runner's tools scenarios call (text, image, audio, embedded resource,
// mixed content, an error, progress, logging, a JSON Schema 2020-12 schema).
#pragma once

#include <chatkit/agents/tool_registry.hpp>

namespace mcp_example {

// Already bound: whoami's user_id comes from the caller.
chatkit::agents::tool_registry example_tools();

}  // namespace mcp_example
