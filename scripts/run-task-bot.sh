#!/usr/bin/env bash
# The main job: installs what is missing, builds the task bot and starts it in demo mode (demo sign-in, the
# built-in demo model unless OPENAI_API_KEY is set) with a SQLite store, on http://127.0.0.1:8000.
# PORT, BIND and DATABASE_URL are respected; extra arguments go to task_bot (docs/task-bot.md#settings):
#   bash scripts/run-task-bot.sh
#   PORT=9000 DATABASE_URL=postgresql://localhost/tasks bash scripts/run-task-bot.sh
#   bash scripts/run-task-bot.sh --heartbeat-seconds 5
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/chatkit-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release >/dev/null
cmake --build --preset release --target task_bot -j "${CHATKIT_JOBS:-$(nproc)}"

port="${PORT:-8000}"
bind="${BIND:-127.0.0.1}"
store="${DATABASE_URL:-sqlite:$PWD/build/task_bot.db}"
# Show where the data goes, but never a database password.
case "$store" in sqlite:* | memory) shown="$store" ;; *) shown="${store%%:*}://..." ;; esac
echo "task_bot: open http://${bind/0.0.0.0/127.0.0.1}:${port}/ and sign in with any name (store: $shown)"
exec ./build/release/examples/task_bot/task_bot --demo --bind "$bind" --port "$port" --store "$store" "$@"
