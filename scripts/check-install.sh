#!/usr/bin/env bash
# Installs the build into a scratch prefix and builds a consumer two ways: CMake's
# find_package(brrtstat) and pkg-config. Both must build and count to 42.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d /tmp/brrt-install-XXXXXX)
work=$(mktemp -d /tmp/brrt-consumer-XXXXXX)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install build --prefix "$prefix" >/dev/null
test -f "$prefix/include/brrtstat/brrtstat.h"
ls "$prefix"/lib*/libbrrtstat.so.0 "$prefix"/lib*/libbrrtstat.a >/dev/null
cmake -S tests/install -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
libdir=$(dirname "$(ls "$prefix"/lib*/libbrrtstat.so)")
LD_LIBRARY_PATH=$libdir "$work/cmake/consumer" "$work"
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -Wall -Werror tests/install/consumer.c -o "$work/pc-consumer" \
  $(pkg-config --cflags --libs brrtstat brrtstat-reader)
LD_LIBRARY_PATH=$libdir "$work/pc-consumer" "$work"
echo "install check: find_package and pkg-config consumers work"
