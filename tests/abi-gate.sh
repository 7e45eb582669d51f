#!/usr/bin/env bash
# The ABI gate's own test: tests/abi-check.sh on a toy library built in seven versions
# against a baseline of the first. Appending to a struct_size-versioned struct and adding a
# function must pass; removing a function, changing a parameter, inserting a vtable member
# before the end and growing a plain struct must fail. Skipped (77) without abigail-tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v abidw >/dev/null && command -v abidiff >/dev/null || {
    echo "SKIP: abigail-tools missing"
    exit 77
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/toy.suppr" <<'EOF'
[suppress_type]
  type_kind = struct
  name_regexp = ^toy_vtable$
  has_data_member_inserted_at = end
EOF

# build VERSION: the header and source from the variables below, into $work/VERSION
build() {
    mkdir -p "$work/$1/include"
    printf '%s\n' "$header" >"$work/$1/include/toy.h"
    printf '#include "toy.h"\n%s\n' "$source" >"$work/$1/toy.c"
    gcc -std=c11 -g -O0 -fPIC -shared -I"$work/$1/include" -Wl,-soname,libtoy.so.1 \
        -o "$work/$1/libtoy.so.1" "$work/$1/toy.c"
}
vtable='typedef struct toy_vtable { unsigned struct_size; int (*run)(int); } toy_vtable;'
point='typedef struct toy_point { int x, y; } toy_point;'
calls='int toy_register(const toy_vtable *vt); int toy_area(const toy_point *p);'
bodies='int toy_register(const toy_vtable *vt) { return vt->run(1); }
int toy_area(const toy_point *p) { return p->x * p->y; }'

header="$vtable $point $calls" source=$bodies build base
mkdir -p "$work/baseline"
abidw --headers-dir "$work/base/include" --no-corpus-path \
    --out-file "$work/baseline/libtoy.so.1.abi" "$work/base/libtoy.so.1"

failures=0
# expect VERSION pass|fail: run the gate on that version
expect() {
    local rc=0 out
    out=$(bash "$here/abi-check.sh" "$work/baseline" "$work/$1/libtoy.so.1" \
        "$work/$1/include" "$work/toy.suppr" 2>&1) || rc=$?
    if { [ "$2" = pass ] && [ $rc -eq 0 ]; } || { [ "$2" = fail ] && [ $rc -eq 1 ]; }; then
        echo "ok: $1: ${2}ed"
    else
        printf 'FAIL: %s: expected %s, exit %d:\n%s\n' "$1" "$2" "$rc" "$out"
        failures=$((failures + 1))
    fi
}

header="$vtable $point $calls" source=$bodies build same
expect same pass
header="typedef struct toy_vtable { unsigned struct_size; int (*run)(int); int (*stop)(int); }
toy_vtable; $point $calls" source=$bodies build appended
expect appended pass
header="$vtable $point $calls int toy_extra(void);" source="$bodies
int toy_extra(void) { return 7; }" build added
expect added pass
header="$vtable $point int toy_register(const toy_vtable *vt);" \
    source='int toy_register(const toy_vtable *vt) { return vt->run(1); }' build removed
expect removed fail
header="$vtable $point int toy_register(const toy_vtable *vt);
int toy_area(const toy_point *p, int scale);" source='int toy_register(const toy_vtable *vt)
{ return vt->run(1); } int toy_area(const toy_point *p, int s) { return p->x * p->y * s; }' \
    build retyped
expect retyped fail
header="typedef struct toy_vtable { unsigned struct_size; int (*stop)(int); int (*run)(int); }
toy_vtable; $point $calls" source=$bodies build inserted
expect inserted fail
header="$vtable typedef struct toy_point { int x, y, z; } toy_point; $calls" source=$bodies \
    build grown
expect grown fail
[ $failures -eq 0 ] || exit 1
echo "abi gate: 7 of 7 versions judged as expected"
