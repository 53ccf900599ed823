#!/usr/bin/env bash
# Installs the build into a scratch prefix and uses it as a new user would:
#  - every installed program runs with no LD_LIBRARY_PATH (RUNPATH $ORIGIN/../lib), also
#    after the prefix is moved elsewhere;
#  - a CMake project links find_package(brrtstat)'s shared and static targets, a pkg-config
#    build links the shared libraries, a C++ build links them too; each counts to 42;
#  - every public header compiles alone as C++ (g++, clang++) and as C (gcc, clang).
# Usage: scripts/check-install.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
# shellcheck source=tests/integration/lib.sh
source tests/integration/lib.sh
tmp=$(mktemp -d /tmp/brrt-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
work=$tmp/work
mkdir -p "$work/seg"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(ls "$prefix"/lib*/libbrrtstat.so)")
check "headers and both libraries installed" test -f "$prefix/include/brrtstat/brrtstat.h" \
  -a -f "$libdir/libbrrtstat.so.0" -a -f "$libdir/libbrrtstat.a" -a -f "$libdir/libbrrtstat-reader.a"
check "installed libbrrtstat.so exports exactly writer/libbrrtstat.map" \
  bash tests/abi/check_exports.sh "$libdir/libbrrtstat.so" writer/libbrrtstat.map "$prefix/include"
check "installed libbrrtstat-reader.so exports exactly readers/libbrrtstat-reader.map" \
  bash tests/abi/check_exports.sh "$libdir/libbrrtstat-reader.so" readers/libbrrtstat-reader.map "$prefix/include"

# Programs run from the prefix as installed, and from wherever it is moved.
version=$(sed -n 's/^#define BRRT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' \
  "$prefix/include/brrtstat/version.h" | paste -sd.)
runs() { # bindir: every program answers --version with "NAME VERSION", no LD_LIBRARY_PATH
  local p out
  for p in "$1"/*; do
    out=$(env -u LD_LIBRARY_PATH "$p" --version 2>&1) || { echo "  $p: $out" >&2; return 1; }
    [[ $out == "${p##*/} $version" ]] || { echo "  $p --version: $out" >&2; return 1; }
  done
}
check "installed programs: RUNPATH is \$ORIGIN/../lib" \
  eq "$(readelf -d "$prefix/bin/brrt-stat" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')" "\$ORIGIN/../${libdir##*/}"
check "every installed program answers --version ($version) without LD_LIBRARY_PATH" runs "$prefix/bin"
check "pkg-config and CMake package versions are $version" eq \
  "$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --modversion brrtstat brrtstat-reader | paste -sd' ')" "$version $version"
check "... CMake package version file" grep -q "PACKAGE_VERSION \"$version\"" "$libdir/cmake/brrtstat/brrtstatConfigVersion.cmake"
mv "$prefix" "$tmp/moved"
check "... and after the prefix is moved" runs "$tmp/moved/bin"
mv "$tmp/moved" "$prefix"

# find_package(brrtstat): shared and static targets.
cmake -S tests/install -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; fail "find_package(brrtstat) configures"; }
cmake --build "$work/cmake" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "the shared and static consumers build"; }
check "consumer (brrtstat::brrtstat, shared) counts to 42" \
  env LD_LIBRARY_PATH="$libdir" "$work/cmake/consumer" "$work/seg"
check "consumer_static (brrtstat::brrtstat_static) counts to 42" "$work/cmake/consumer_static" "$work/seg"
check "consumer_static needs no libbrrtstat*.so" \
  test -z "$(readelf -d "$work/cmake/consumer_static" | grep 'NEEDED.*libbrrtstat')"

# pkg-config, and C++ callers (extern "C" on every declaration they use).
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
check "pkg-config consumer builds" cc -Wall -Werror tests/install/consumer.c -o "$work/pc-consumer" \
  $(pkg-config --cflags --libs brrtstat brrtstat-reader)
check "pkg-config consumer counts to 42" env LD_LIBRARY_PATH="$libdir" "$work/pc-consumer" "$work/seg"
for cxx in g++ clang++; do
  # shellcheck disable=SC2046
  check "$cxx builds the consumer as C++20" $cxx -std=c++20 -x c++ -Wall -Wextra -Werror \
    -Wno-missing-field-initializers tests/install/consumer.c -o "$work/cxx-consumer" \
    $(pkg-config --cflags --libs brrtstat brrtstat-reader)
  check "$cxx consumer counts to 42" env LD_LIBRARY_PATH="$libdir" "$work/cxx-consumer" "$work/seg"
done

# Every public header on its own (brrtstat/static/ holds brrtstat.h's inline internals, which
# refuse to be included except through it). C needs POSIX for sigjmp_buf (stack.h).
headers() { # compiler, language, flags...
  local cc=$1 lang=$2 h bad=0
  shift 2
  for h in $(cd "$prefix/include" && find brrtstat -maxdepth 1 -name '*.h' | sort); do
    printf '#include <%s>\n' "$h" |
      $cc -x "$lang" "$@" -fsyntax-only -Wall -Wextra -pedantic -Werror -I"$prefix/include" - \
        2>"$work/cc.err" || { head -5 "$work/cc.err" >&2; echo "  $h fails with $cc" >&2; bad=1; }
  done
  return $bad
}
n=$(find "$prefix/include/brrtstat" -maxdepth 1 -name '*.h' | wc -l)
for cxx in g++ clang++; do
  check "$cxx -std=c++11 compiles each of the $n public headers" headers $cxx c++ -std=c++11
done
for c in gcc clang; do
  check "$c -std=c11 compiles each of the $n public headers" headers $c c -std=c11 -D_POSIX_C_SOURCE=200809L
done
brrt_summary "install check"
