#!/usr/bin/env bash
# Configure and build libmmarml out of tree in ./build (or $BUILD_DIR). Extra arguments go
# to configure. Safe to run again: it reconfigures only when needed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] ||
    autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] && [ $# -eq 0 ] || "$top/configure" -q "$@"
make -j"$(nproc)" >/dev/null
