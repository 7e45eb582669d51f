#!/bin/sh
# The library exports exactly the names of lib/libmmarml.map, all mmarml_*, all versioned.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}" "${NM:=nm}"
so="$top_builddir/lib/.libs/libmmarml.so"
map="$top_srcdir/lib/libmmarml.map"
command -v "$NM" >/dev/null 2>&1 || { echo "nm not found: skipped"; exit 77; }
[ -f "$so" ] || { echo "no shared library at $so"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$NM" -D --defined-only "$so" | awk '{print $3}' | grep -v '^MMARML_[0-9.]*$' > "$tmp/raw"
if grep -v '@@\?MMARML_' "$tmp/raw" > "$tmp/unversioned"; then
    echo "exported without a version node:"; cat "$tmp/unversioned"; exit 1
fi
sed 's/@.*//' "$tmp/raw" | sort > "$tmp/exported"
grep -o 'mmarml_[a-z0-9_]*' "$map" | sort -u > "$tmp/mapped"
if grep -v '^mmarml_' "$tmp/exported"; then
    echo "^ exported names without the mmarml_ prefix"; exit 1
fi
if ! diff -u "$tmp/mapped" "$tmp/exported"; then
    echo "exports differ from $map (- only in the map, + only exported)"; exit 1
fi
echo "exports: $(wc -l < "$tmp/exported") symbols, equal to the version script"
