#!/usr/bin/env bash
# The whole test suite in one command: bootstrap, configure, build, test.
#   scripts/test.sh            # release preset
#   scripts/test.sh asan       # Debug + AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

bash scripts/bootstrap.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/chatkit-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Paths relative to the checkout, so a fresh clone elsewhere (as CI makes) reuses the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "${CHATKIT_JOBS:-$(nproc)}"
# Services the tests need (a throwaway PostgreSQL on a loopback port) are started by this helper and
# stopped on exit; it exports their addresses for the tests.
source scripts/test-services.sh
ctest --preset "$preset"
