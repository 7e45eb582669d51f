#!/usr/bin/env bash
# The man pages (docs/man) agree with --help: every option a command's --help lists is in
# its page and every option the page lists is in --help; mmarml(1) names every command
# `mmarml --help` does; mmarml-admin(1) every admin command; and groff formats each page
# without a warning.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
mmarml="$top_builddir/tools/mmarml"
man="$top_srcdir/docs/man"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
sorted_words() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }
# long options in --help text, and in a page's troff (\-\-name)
help_options() { { grep -o -- '--[a-z][a-z-]*' || true; } | sorted_words; }
page_options() { { grep -o -- '\\-\\-[a-z][a-z\\-]*' || true; } | sed 's/\\-/-/g' | sorted_words; }

for cmd in run admin space apply report prune-replay; do
    page="$man/mmarml-$cmd.1"
    [ -f "$page" ] || { fail "no page for mmarml $cmd"; continue; }
    helped=$("$mmarml" "$cmd" --help | help_options)
    # the OPTIONS section only (the synopsis and examples repeat some)
    paged=$(sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$page" | page_options)
    [ "$helped" = "$paged" ] || fail "mmarml $cmd: --help lists [$helped], the page [$paged]"
done
listed=$("$mmarml" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | sorted_words)
paged=$(sed -n '/^\.SH COMMANDS/,/^\.SH OPTIONS/p' "$man/mmarml.1" | sed -n 's/^\.B \([a-z-]*\)$/\1/p' |
    sorted_words)
[ "$listed" = "$paged" ] || fail "mmarml --help lists [$listed], mmarml(1) [$paged]"
admin=$("$mmarml" admin --help | grep -o '[a-z]*_workers\{0,1\}\|stop\|status\|summary' | sorted_words)
paged=$(sed -n '/^\.SH COMMANDS/,/^\.SH OPTIONS/p' "$man/mmarml-admin.1" |
    sed -n 's/^\.BI\{0,1\} \([a-z_]*\).*/\1/p' | sorted_words)
[ "$admin" = "$paged" ] || fail "mmarml admin --help names [$admin], its page [$paged]"
if command -v groff >/dev/null; then
    for page in "$man"/*.1; do
        warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
        [ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
    done
fi
[ $failures -eq 0 ] || exit 1
echo "man pages: 7 pages agree with --help"
