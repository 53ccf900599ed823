#!/bin/sh
# Fuzzes the reader library with libFuzzer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]     (default 60 s)
#
# Configures a clang build in build-fuzz (-DBRRT_FUZZ=ON), builds fuzz_segment and make_corpus,
# writes the seed corpus (real segments made by the writer) into build-fuzz/tests/fuzz/seeds,
# and runs the fuzzer with tests/fuzz/corpus-work as its growing working corpus (git-ignored,
# kept between runs). Crash inputs are written to build-fuzz/fuzz-artifacts/.
# Exits non-zero when the fuzzer finds a crash, a leak, a timeout or an out-of-memory.
#
# Environment: BRRT_FUZZ_BUILD (build dir), BRRT_FUZZ_CORPUS (working corpus),
#              CC (default clang), JOBS (build parallelism).
set -eu

secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BRRT_FUZZ_BUILD:-$root/build-fuzz}
corpus=${BRRT_FUZZ_CORPUS:-$root/tests/fuzz/corpus-work}
seeds=$build/tests/fuzz/seeds
artifacts=$build/fuzz-artifacts
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" -DBRRT_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_segment make_corpus -j "$jobs"

"$build/bin/make_corpus" "$seeds" >/dev/null
mkdir -p "$corpus" "$artifacts"

echo "fuzz.sh: fuzzing for ${secs}s; corpus $corpus, seeds $seeds, artifacts $artifacts"
status=0
"$build/bin/fuzz_segment" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$corpus" "$seeds" || status=$?
if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: the fuzzer failed (exit $status); crash inputs:" >&2
    ls -l "$artifacts" >&2 || true
    echo "fuzz.sh: replay one with: $build/bin/fuzz_segment <file>" >&2
    exit 1
fi
echo "fuzz.sh: no crash in ${secs}s; corpus now $(ls "$corpus" | wc -l) inputs"
