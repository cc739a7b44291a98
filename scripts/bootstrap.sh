#!/usr/bin/env bash
# Installs every Debian package chatkit-cpp needs to build and test. Idempotent; run as root on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git openssl
  clang-16 libclang-rt-16-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  catch2 libssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql
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

# The browser test's npm packages, exactly as tests/browser/package-lock.json pins them. Skipped when the
# pinned version is already installed; npm's cache makes a reinstall work offline after the first one.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ -f "$browser_dir/package-lock.json" ]; then
  want=$(node -p "require('$browser_dir/package.json').dependencies['playwright-core']")
  have=$(node -p "try { require('$browser_dir/node_modules/playwright-core/package.json').version } catch (e) { '' }")
  if [ "$want" != "$have" ]; then
    echo "bootstrap: npm ci in tests/browser (playwright-core $want)"
    (cd "$browser_dir" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
fi
# The peer tests' npm packages (tests/peers: @dwmkerr/mock-llm and the official openai client), the same way.
peers_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/peers"
if [ -f "$peers_dir/package-lock.json" ]; then
  want=$(node -p "require('$peers_dir/package.json').dependencies['@dwmkerr/mock-llm']")
  have=$(node -p "try { require('$peers_dir/node_modules/@dwmkerr/mock-llm/package.json').version } catch (e) { '' }")
  if [ "$want" != "$have" ]; then
    echo "bootstrap: npm ci in tests/peers (@dwmkerr/mock-llm $want)"
    (cd "$peers_dir" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
fi
