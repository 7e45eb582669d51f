#!/usr/bin/env bash
# The ABI gate (docs/abi.md): compares a built shared library with its committed baseline
# (an `abidw` dump) using libabigail's abidiff, and fails on anything a program linked
# against the baseline could notice:
#   - a function or variable removed, or one whose type changed (parameters, return type,
#     a struct it reaches: a member removed, moved, retyped, or inserted before the end);
#   - a struct growing anywhere but at its end; appending is allowed only to the structs
#     that carry struct_size (vtables and options), which the suppression file lists.
# Additions (new functions, new appended members) pass and are listed: when they are
# released, the libtool version is bumped (configure.ac) and the baseline rewritten with
# `make abi-baseline`. A library whose soname has no baseline (the soname was bumped) passes
# with a notice once an older baseline exists, and fails when none does.
#
# Usage: tests/abi-check.sh BASELINE_DIR LIBRARY HEADERS_DIR [SUPPRESSIONS]
# Exit: 0 compatible, 1 incompatible or broken, 77 abigail-tools missing.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: abi-check.sh BASELINE_DIR LIBRARY HEADERS_DIR [SUPPR]" >&2; exit 1; }
baseline_dir=$1 library=$2 headers=$3 suppressions=${4:-}
command -v abidiff >/dev/null && command -v abidw >/dev/null || {
    echo "abi-check: SKIP: abidiff/abidw missing (apt-get install abigail-tools)"
    exit 77
}
[ -f "$library" ] || { echo "abi-check: no library $library: build first" >&2; exit 1; }
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] || { echo "abi-check: $library has no soname" >&2; exit 1; }
baseline=$baseline_dir/$soname.abi
if [ ! -f "$baseline" ]; then
    if ls "$baseline_dir"/*.abi >/dev/null 2>&1; then
        echo "abi-check: soname $soname is new (no $baseline): incompatible changes are" \
             "allowed; write its baseline with make abi-baseline"
        exit 0
    fi
    echo "abi-check: no baseline $baseline" >&2
    exit 1
fi

args=(--headers-dir1 "$headers" --headers-dir2 "$headers" --no-show-locs)
[ -z "$suppressions" ] || args+=(--suppressions "$suppressions")
rc=0
report=$(abidiff "${args[@]}" "$baseline" "$library" 2>&1) || rc=$?
# abidiff's exit status is a bit field: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible change (a removed symbol)
if (( rc & 3 )); then
    printf 'abi-check: abidiff failed (status %d):\n%s\n' "$rc" "$report" >&2
    exit 1
fi
# "Functions changes summary: 0 Removed, 1 Changed (2 filtered out), 3 Added functions"
summary() { # kind field
    printf '%s\n' "$report" | sed -n "s/^$1 changes summary: .*\b\([0-9][0-9]*\) $2\b.*/\1/p" |
        head -n1
}
removed=$(( $(summary Functions Removed || true) + $(summary Variables Removed || true) + 0 ))
changed=$(( $(summary Functions Changed || true) + $(summary Variables Changed || true) + 0 ))
added=$(( $(summary Functions Added || true) + $(summary Variables Added || true) + 0 ))
if (( rc & 8 )) || (( removed > 0 )) || (( changed > 0 )); then
    printf '%s\n' "$report"
    echo "abi-check: FAIL: $soname against $baseline: $removed removed, $changed changed" \
         "(an incompatible change needs a new soname: docs/abi.md)"
    exit 1
fi
if (( added > 0 )); then
    printf '%s\n' "$report" | grep -E "^  \[A\]" || true
    echo "abi-check: ok: $soname is compatible with $baseline; $added added (on release: bump" \
         "the libtool current and age in configure.ac, then make abi-baseline)"
else
    echo "abi-check: ok: $soname is compatible with $baseline, nothing added"
fi
