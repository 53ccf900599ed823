#!/usr/bin/env bash
# The whole test suite, as CI runs it: gcc and clang -Werror builds, every test, the suite again
# under ASan+UBSan, the concurrency tests under TSan, a bounded fuzz run and a benchmark smoke.
# Usage: scripts/test.sh [--quick]   (--quick: gcc build and tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)
quick=0
[[ ${1:-} == --quick ]] && quick=1

step() { printf '\n==== %s\n' "$*"; }
build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRRT_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
}

step "gcc build + all tests"
build build
(cd build && ctest --output-on-failure -j "$jobs")

[[ $quick -eq 1 ]] && exit 0

step "clang -Werror build"
build build-clang -DCMAKE_C_COMPILER=clang

step "ASan + UBSan: all tests"
build build-asan -DBRRT_SANITIZE=address,undefined
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs")

step "TSan (clang): concurrency, writer, shard cache, fork and sparse/truncation tests"
build build-tsan -DCMAKE_C_COMPILER=clang -DBRRT_SANITIZE=thread
(cd build-tsan && ctest --output-on-failure -L concurrency &&
  ctest --output-on-failure -R 'test_writer|test_shard_cache|test_fork|test_sparse')

step "reader + exporter only, without liburcu, ncurses, cJSON and Check"
scripts/build-reader-only.sh build-reader-only build/bin -DBRRT_WERROR=ON
# The tests of what this build makes: the exporter end to end (brrt-demo and brrt-stat from
# build/), its memory bound, the reader's exports. The deploy tests run peer programs as other
# users and build images from the full tree: they belong to the full build.
(cd build-reader-only && ctest --output-on-failure \
  -R '^(test_export|test_exporter_memory|abi_exports_reader|format_doc_offsets)$')

step "fuzz: segment reader, bounded"
scripts/fuzz.sh "${BRRT_FUZZ_SECONDS:-60}"

step "benchmark smoke (numbers are not checked here; see docs/performance.md)"
build/bin/brrt-bench --quick
# The install check (scripts/check-install.sh: find_package/pkg-config consumers, public
# headers as C and C++) ran in the gcc step, as the ctest check_install.

echo
echo "all test steps passed"
