#!/usr/bin/env bash
# Installs every Debian package chatkit-cpp needs to build and test. Idempotent; run as root on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git openssl
  clang-16 libclang-rt-16-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  catch2 libssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql
  libspdlog-dev  # optional: only examples/operations' spdlog variant uses it
  nodejs npm chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian's archive (a preinstalled node); accept any working npm.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: all packages present"
fi

# The npm packages of a test folder, exactly as its package-lock.json pins them: `npm ci` unless the pinned
# version of the folder's main package is already installed; npm's cache makes a reinstall work offline
# after the first one.
npm_ci_pinned() {  # folder main-package
  local dir="$1" pkg="$2" want have
  [ -f "$dir/package-lock.json" ] || return 0
  want=$(node -p "require('$dir/package.json').dependencies['$pkg']")
  have=$(node -p "try { require('$dir/node_modules/$pkg/package.json').version } catch (e) { '' }")
  if [ "$want" != "$have" ]; then
    echo "bootstrap: npm ci in ${dir#"$root"/} ($pkg $want)"
    (cd "$dir" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
}
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_ci_pinned "$root/tests/browser" playwright-core   # the browser test
npm_ci_pinned "$root/tests/peers" @dwmkerr/mock-llm   # the peer tests (with the official openai client)
npm_ci_pinned "$root/tests/mcp-peers" @modelcontextprotocol/server-everything   # the MCP peers (docs/mcp.md)
