#!/usr/bin/env bash
# The reader, the exporter and their tests, built as on a machine without liburcu, ncurses,
# cJSON or Check: pkg-config sees a copy of the system's .pc files without theirs, and the
# build must then prove it used none of them: no compile read one of their headers (the
# compilers' dependency files list every header read), nothing links their libraries.
# Programs the configuration leaves out (brrt-demo, brrt-stat) come from the full build in
# PEER_BIN_DIR for the end-to-end test.
# usage: scripts/build-reader-only.sh BUILD_DIR PEER_BIN_DIR [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 peer=$2
shift 2
pc=$dir/pkgconfig-without
rm -rf "$pc" && mkdir -p "$pc"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
  [[ -d $d ]] && find "$d" -maxdepth 1 -name '*.pc' ! -name 'liburcu*' ! -name 'ncurses*' \
    ! -name 'libcjson*' ! -name 'check.pc' ! -name 'menu*' ! -name 'form*' ! -name 'panel*' \
    ! -name 'tinfo*' -exec cp -n {} "$pc/" \;
done
for m in liburcu-bp ncursesw libcjson check; do
  if PKG_CONFIG_LIBDIR=$pc pkg-config --exists "$m"; then
    echo "build-reader-only: $m is still visible to pkg-config" >&2; exit 1
  fi
done
PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH= cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBRRT_BUILD_WRITER=OFF -DBRRT_BUILD_TOOLS=OFF -DBRRT_BUILD_WATCH=OFF -DBRRT_BUILD_DEMO=OFF \
  -DBRRT_BUILD_DASHBOARD=OFF -DBRRT_BUILD_EXPORT=ON -DBRRT_BUILD_TESTS=ON \
  -DBRRT_TEST_PEER_BIN="$(cd "$peer" && pwd)" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
# Every header any compile read, from the dependency files gcc and clang wrote (-MD). Only
# headers from outside this checkout and its build directory are a package's: the checkout's
# own path may contain any word (CI clones into /check/...), so it is never pattern-matched.
deps=$(find "$dir" -name '*.o.d' | wc -l)
[[ $deps -gt 0 ]] || { echo "build-reader-only: no dependency files to check" >&2; exit 1; }
src_root=$(pwd -P) build_root=$(cd "$dir" && pwd -P)
if bad=$(find "$dir" -name '*.o.d' -exec cat {} + | tr ' \\' '\n\n' | grep '^/' |
         awk -v s="$src_root/" -v b="$build_root/" 'index($0, s) != 1 && index($0, b) != 1' |
         grep -E '/(urcu|ncurses|ncursesw|cjson|check)[/._]|/(urcu|curses|term|check)\.h$' | sort -u) &&
   [[ -n $bad ]]; then
  echo "build-reader-only: headers of a left-out package were read:" >&2
  echo "$bad" >&2
  exit 1
fi
for f in "$dir"/lib/*.so* "$dir"/bin/brrt-stat-export; do
  if readelf -d "$f" | grep -E 'NEEDED.*(urcu|ncurses|tinfo|cjson|check)'; then
    echo "build-reader-only: $f links a left-out library" >&2; exit 1
  fi
done
for t in brrtstat brrt-stat-watch brrt-stat-dashboard; do
  ! find "$dir" -name "lib$t.so*" -o -name "$t" -type f | grep -q . ||
    { echo "build-reader-only: $t was built" >&2; exit 1; }
done
echo "build-reader-only: $deps compiles read no header of liburcu, ncurses, cJSON or Check"
