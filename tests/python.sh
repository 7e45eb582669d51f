#!/usr/bin/env bash
# The Python package's tests (tests/python/) against the built module: the package's files
# and the built _mmarml.so side by side in a temporary directory, with the Python the module
# was built for (configure's PYTHON3). Skipped (77) when the module was not built.
# MMARML_PYTHON_CHECK=valgrind runs them under valgrind memcheck (PYTHONMALLOC=malloc, so
# every object is a malloc block: a definitely lost block or a bad read fails);
# MMARML_PYTHON_CHECK=debug under Debian's debug interpreter (python3.11-dbg: refcount,
# GIL and allocator assertions) with the module rebuilt against its headers; make
# check-valgrind runs both.
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
runner=("$PYTHON3")
case "${MMARML_PYTHON_CHECK:-}" in
valgrind)
    export PYTHONMALLOC=malloc
    # forked children that do not exec (the MMAR executor's guards) hold a copy of the
    # heap whose owners are on other threads: their leak reports are noise
    runner=(valgrind -q --child-silent-after-fork=yes --leak-check=full
            --errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=9
            "$PYTHON3")
    ;;
debug)
    debug="$PYTHON3-dbg"
    [ -x "$debug" ] && command -v "$debug-config" >/dev/null ||
        { echo "SKIP: no $debug (apt-get install python3.11-dbg)"; exit 77; }
    # the module built again against the debug headers: a release-built one runs there too,
    # but its inline Py_INCREF/Py_DECREF skip the debug checks and the reference total
    # (which then drifts by every object it frees, and could not catch a real leak)
    suffix=$("$debug" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    rm "$work/mmarml/_mmarml.so"
    # shellcheck disable=SC2046 # word splitting of the flag lists is meant
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -g -O1 -fPIC -shared $("$debug-config" --includes) \
        -I"$top_srcdir/include" -I"$top_builddir/include" -I"$top_builddir" \
        $(pkg-config --cflags jansson) "$top_srcdir/python/mmarml/_mmarml.c" \
        "$top_srcdir/python/mmarml/components.c" -o "$work/mmarml/_mmarml$suffix" \
        -L"$top_builddir/lib/.libs" -lmmarml $(pkg-config --libs jansson) -lpthread
    export MMARML_PYTHON_DEBUG_BUILD=1 # tests/python: the reference total must not drift
    runner=("$debug" -X dev)
    ;;
esac
"${runner[@]}" -m unittest discover -s "$top_srcdir/tests/python" -t "$top_srcdir/tests/python" -v
