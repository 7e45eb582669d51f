#!/usr/bin/env bash
# Run a libFuzzer target under ASan+UBSan.
#   bash scripts/fuzz.sh [seconds [runs [target]]]   (default 600 s, no run limit, space)
# Targets: space (tests/fuzz/fuzz_space.c: extraction and apply), run (tests/fuzz/fuzz_run.c:
# `mmarml run` on a real MMAR with mutated config_automl.json and config_train.json), progress
# (tests/fuzz/fuzz_progress.c: progress files and logs a trainer wrote, followed), resume
# (tests/fuzz/fuzz_resume.c: a run resumed from well-framed journal records), pruners
# (tests/fuzz/fuzz_pruners.c: every built-in pruner given any sequence of reports and
# ends). It stops
# at whichever of seconds and runs comes first. Needs clang and libclang-rt (Debian: clang,
# libclang-rt-14-dev). New inputs go to build-fuzz/<target>/corpus, crashes to
# build-fuzz/<target>/crash-*. Copy a fixed crash into the target's seed corpus
# (tests/fuzz/corpus, tests/fuzz/run-corpus, tests/fuzz/progress-corpus,
# tests/fuzz/resume-corpus, tests/fuzz/pruners-corpus) so `make check` replays it from then
# on.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
runs=${2:--1}
target=${3:-space}
bash "$top/scripts/build.sh" # for config.h and version.h
case "$target" in
space)
    out="$top/build-fuzz"
    sources=("$top/tests/fuzz/fuzz_space.c")
    seeds="$top/tests/fuzz/corpus"
    options=(-max_len=65536)
    ;;
run)
    out="$top/build-fuzz/run"
    sources=("$top/tests/fuzz/fuzz_run.c" "$top/tools/run.c" "$top/tools/run_savings.c" "$top"/tools/report*.c)
    seeds="$top/tests/fuzz/run-corpus"
    # stdout and stderr closed (job lines, refusals; libFuzzer keeps its own); a run may
    # take max_sys_run_time (3 s) and its shutdown: past 20 s it hangs
    options=(-max_len=16384 -timeout=20 -close_fd_mask=3 -dict="$top/tests/fuzz/run.dict")
    ;;
progress)
    out="$top/build-fuzz/progress"
    sources=("$top/tests/fuzz/fuzz_progress.c")
    seeds="$top/tests/fuzz/progress-corpus"
    options=(-max_len=131072)
    ;;
resume)
    out="$top/build-fuzz/resume"
    sources=("$top/tests/fuzz/fuzz_resume.c" "$top"/tools/prune_replay*.c "$top/tools/run_savings.c")
    seeds="$top/tests/fuzz/resume-corpus"
    # stderr closed: prune-replay says why it refuses each damaged journal (libFuzzer and
    # the sanitizers keep their own)
    options=(-max_len=16384 -close_fd_mask=2 -dict="$top/tests/fuzz/resume.dict")
    ;;
pruners)
    out="$top/build-fuzz/pruners"
    sources=("$top/tests/fuzz/fuzz_pruners.c")
    seeds="$top/tests/fuzz/pruners-corpus"
    options=(-max_len=4096)
    ;;
*)
    echo "fuzz.sh: unknown target '$target' (space, run, progress, resume, pruners)" >&2
    exit 2
    ;;
esac
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -D_GNU_SOURCE -I"$top/include" -I"$top/build/include" -I"$top/build" \
    "$top"/lib/core/*.c "$top"/lib/registry/*.c "$top"/lib/controllers/*.c \
    "$top"/lib/handlers/*.c "$top"/lib/space/*.c "$top"/lib/mmar/*.c "$top"/lib/pruners/*.c \
    "${sources[@]}" \
    $(pkg-config --cflags --libs jansson) -lpthread -lm -ldl -o "$out/fuzz_$target"
cd "$out"
"./fuzz_$target" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
    "${options[@]}" -artifact_prefix="$out/" corpus "$seeds" 2>&1 | tee fuzz.log |
    grep -E "^#[0-9]+ +(DONE|INITED)|stat::|ERROR|SUMMARY" || true
