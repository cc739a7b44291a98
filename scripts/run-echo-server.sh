#!/usr/bin/env bash
# The main job: builds and runs the example echo server on 127.0.0.1 with its embedded defaults
# (SQLite store in build/echo-server.db, X-User-Id dev authentication). Extra arguments go to the server:
#   bash scripts/run-echo-server.sh --port 9000 --auth jwt   # with CHATKIT_JWT_SECRET set
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/chatkit-ccache}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release >/dev/null
cmake --build --preset release --target echo_server -j "${CHATKIT_JOBS:-$(nproc)}"

args=(--port "${PORT:-8000}" --store "sqlite:$PWD/build/echo-server.db" --auth dev-header)
echo "Try: curl -N -X POST -H 'X-User-Id: alice' -H 'Content-Type: application/json' --data '{\"type\":\"threads.create\",\"params\":{\"input\":{\"content\":[{\"type\":\"input_text\",\"text\":\"Hello\"}],\"attachments\":[],\"inference_options\":{}}}}' http://127.0.0.1:${PORT:-8000}/chatkit"
exec ./build/release/examples/echo_server/echo_server "${args[@]}" "$@"
