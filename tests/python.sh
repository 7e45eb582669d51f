#!/usr/bin/env bash
# The Python package's tests (tests/python/) against the built module: the package's files
# and the built _mmarml.so side by side in a temporary directory, with the Python the module
# was built for (configure's PYTHON3). Skipped (77) when the module was not built.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
module="$top_builddir/python/mmarml/.libs/_mmarml.so"
[ -f "$module" ] && [ -n "${PYTHON3:-}" ] ||
    { echo "SKIP: the Python module was not built (apt-get install python3-dev)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/mmarml"
cp "$top_srcdir"/python/mmarml/*.py "$top_srcdir/python/mmarml/py.typed" "$work/mmarml/"
cp "$module" "$work/mmarml/"
cp -r "$top_srcdir/python/automl" "$work/"
export top_srcdir PYTHONPATH="$work" LD_LIBRARY_PATH="$top_builddir/lib/.libs"
cd "$work"
"$PYTHON3" -m unittest discover -s "$top_srcdir/tests/python" -t "$top_srcdir/tests/python" -v
