#!/usr/bin/env bash
# The whole test suite in one command: bootstrap, configure, build, test.
#   scripts/test.sh            # release preset
#   scripts/test.sh asan       # Debug + AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh tsan       # the concurrency tests under ThreadSanitizer (docs/fuzzing.md#threadsanitizer)
#   scripts/test.sh fuzz       # every libFuzzer target for CHATKIT_FUZZ_SECONDS (60) each (docs/fuzzing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

bash scripts/bootstrap.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/chatkit-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Paths relative to the checkout, so a fresh clone elsewhere (as CI makes) reuses the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

# Sanitizer reports with file:line when a symbolizer is installed.
symbolizer="$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)"
if [ -n "$symbolizer" ]; then
  symbolizer="$(readlink -f "$symbolizer")"
  export ASAN_SYMBOLIZER_PATH="$symbolizer"
  export TSAN_OPTIONS="external_symbolizer_path=$symbolizer${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "${CHATKIT_JOBS:-$(nproc)}"

if [ "$preset" = fuzz ]; then
  # Each target runs on its committed seeds (tests/fuzz/corpus/<name>, read only) plus what it found so far
  # (build/fuzz/corpus/<name>); a crash, leak, timeout or sanitizer report fails the run and leaves the
  # input in build/fuzz/artifacts/<name>/.
  seconds="${CHATKIT_FUZZ_SECONDS:-60}"
  jobs="${CHATKIT_FUZZ_JOBS:-2}"
  out=build/fuzz/runs
  mkdir -p "$out"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
  fuzz_one() {  # name
    local name="$1"
    mkdir -p "build/fuzz/corpus/$name" "build/fuzz/artifacts/$name"
    local rc=0 flags=()
    case "$name" in  # the decoders read SSE too: they share its dictionary
      *_decoder) flags=(-dict=tests/fuzz/sse_parser.dict) ;;
      *) [ -f "tests/fuzz/$name.dict" ] && flags=(-dict="tests/fuzz/$name.dict") ;;
    esac
    # With a server thread, allocations rarely balance within one input, and libFuzzer would then run a
    # full leak check after nearly every input; leaks are still reported when the run ends.
    [ "$name" = http_connection ] && flags+=(-detect_leaks=0)
    "build/fuzz/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name/" "${flags[@]}" \
      "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$out/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$out/$name.rc"
  }
  names=()
  for exe in build/fuzz/tests/fuzz/fuzz_*; do names+=("${exe##*/fuzz_}"); done
  running=0
  for name in "${names[@]}"; do
    if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
    fuzz_one "$name" &
    running=$((running + 1))
  done
  wait || true
  failed=0
  for name in "${names[@]}"; do
    log="$out/$name.log"
    rc="$(cat "$out/$name.rc")"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
    ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
    if [ "$rc" = 0 ]; then
      echo "fuzz: $name: ok, ${seconds}s, ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}"
    else
      failed=1
      echo "fuzz: $name: FAILED (exit $rc), ${execs:-?} execs; log $log, input in build/fuzz/artifacts/$name/"
      tail -n 40 "$log"
    fi
  done
  exit "$failed"
fi

# Services the tests need (a throwaway PostgreSQL on a loopback port) are started by this helper and
# stopped on exit; it exports their addresses for the tests.
source scripts/test-services.sh
ctest --preset "$preset"
