#!/usr/bin/env bash
# Run the libFuzzer target over extraction and apply under ASan+UBSan.
#   bash scripts/fuzz.sh [seconds [runs]]   (default 600 s; stops at whichever comes first)
# Needs clang and libclang-rt (Debian: clang, libclang-rt-14-dev). New inputs go to
# build-fuzz/corpus; crashes to build-fuzz/crash-*. Copy a fixed crash into
# tests/fuzz/corpus so `make check` replays it from then on.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
runs=${2:--1}
out="$top/build-fuzz"
bash "$top/scripts/build.sh" # for config.h and version.h
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -D_GNU_SOURCE -I"$top/include" -I"$top/build/include" -I"$top/build" \
    "$top"/lib/core/*.c "$top"/lib/registry/*.c "$top"/lib/controllers/*.c \
    "$top"/lib/handlers/*.c "$top"/lib/space/*.c "$top"/lib/mmar/*.c "$top/tests/fuzz/fuzz_space.c" \
    $(pkg-config --cflags --libs jansson) -lpthread -lm -ldl -o "$out/fuzz_space"
cd "$out"
./fuzz_space -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 -max_len=65536 \
    -artifact_prefix="$out/" corpus "$top/tests/fuzz/corpus" 2>&1 | tee fuzz.log |
    grep -E "^#[0-9]+ +(DONE|INITED)|stat::|ERROR|SUMMARY" || true
