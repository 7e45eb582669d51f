#!/usr/bin/env bash
# mmarml report on real runs of tests/data/mmar-progress (a Python trainer that reports a
# learning curve): the page mmarml run writes at its end, checked against the journal by
# tests/report_check.py; a config whose enum choices are markup; a live run, reported while
# its jobs train, that then ends as it would have; bad usage and unreadable input.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
mmarml="$top_builddir/tools/mmarml"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. an ASHA run whose config has hostile enum choices: the page mmarml run writes
mmar="$work/mmar"
cp -r "$top_srcdir/tests/data/mmar-progress" "$mmar"
chmod -R u+w "$mmar"
cat >"$mmar/config/config_train.json" <<'EOF'
{
  "score": 0.5,
  "tag": "plain",
  "search": [
    {"domain": "test", "type": "float", "args": ["score"], "targets": [0.0, 1.0]},
    {"domain": "net", "type": "enum", "args": ["tag"],
     "targets": [["</svg><script>alert(1)</script>"], ["a&b\"c'd<e>"], ["\u00e9t\u00e9"]]}
  ]
}
EOF
"$mmarml" run -m "$mmar" -a config_automl_asha.json --set run_id=asha >"$work/run.out" 2>&1 ||
    { cat "$work/run.out"; fail "mmarml run failed"; }
root="$mmar/automl/asha"
grep -qx "mmarml run: report $root/report.html" "$work/run.out" ||
    { cat "$work/run.out"; fail "mmarml run did not say where the report is"; }
# the trainer's clock says 2100 for its third epoch: not while the job ran, so the engine
# keeps the time it read the line; for its fourth it runs 250 s ahead, within the clocks'
# slack, and is kept: the page's timeline goes by the engine's records all the same
grep -q "is not while the job ran" "$root/trace.txt" || fail "a time in 2100 was not said"
! grep -q '"time":4102444800' "$root/journal.mmarml" || fail "a time in 2100 was kept"
span=$(sed -n 's/.*; \([0-9]*\) s up to .*/\1/p' "$root/report.html")
[ -n "$span" ] && [ "$span" -lt 200 ] || fail "a trainer's clock moved the run's time: $span s"
python3 "$top_srcdir/tests/report_check.py" "$root/report.html" "$root/journal.mmarml" ||
    fail "the page mmarml run wrote"
grep -q "&lt;/svg&gt;&lt;script&gt;alert(1)" "$root/report.html" ||
    fail "the hostile enum choice is not shown escaped"
grep -q "<script>alert" "$root/report.html" && fail "a config's text became markup"
grep -q ">score</code></td>" "$root/report.html" ||
    fail "the best job's config differs from the base in score, and the page does not say so"
echo "ok: the page of an ASHA run, hostile choices escaped"

# 2. written again by hand, to a file and to stdout: the same page but for its times
"$mmarml" report "$root" -o "$work/again.html" 2>"$work/err" || { cat "$work/err"; fail "report -o"; }
python3 "$top_srcdir/tests/report_check.py" "$work/again.html" "$root/journal.mmarml" >/dev/null
"$mmarml" report "$root" -o - >"$work/stdout.html" 2>"$work/err" || fail "report -o -"
cmp -s "$work/again.html" "$work/stdout.html" || fail "-o - and -o file differ"
ls "$work" | grep -q '\.tmp\.' && fail "a temporary file was left"
echo "ok: mmarml report -o file and -o -"

# 3. bad usage and bad input: exit 2 and 1, a message naming what, nothing written
rc=0; "$mmarml" report >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ] || fail "no run root: exit $rc"
rc=0; "$mmarml" report "$root" --bogus >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ] || fail "bad option: $rc"
rc=0; "$mmarml" report "$work/none" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "$work/none/journal.mmarml" "$work/err" ||
    fail "a missing journal: exit $rc, $(cat "$work/err")"
mkdir "$work/garbage" && printf 'not a journal\n' >"$work/garbage/journal.mmarml"
rc=0; "$mmarml" report "$work/garbage" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "journal" "$work/err" && [ ! -e "$work/garbage/report.html" ] ||
    fail "a garbage journal: exit $rc, $(cat "$work/err")"
rc=0; "$mmarml" report "$root" -o "$work/no/such/dir/r.html" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "$work/no/such/dir/r.html" "$work/err" ||
    fail "an unwritable output: exit $rc, $(cat "$work/err")"
echo "ok: bad usage exits 2, unreadable journals and unwritable pages exit 1, naming them"

# 4. a live run: reported while its jobs train (no lock taken), it then ends as usual
live="$work/live"
cp -r "$top_srcdir/tests/data/mmar-progress" "$live"
chmod -R u+w "$live"
MMARML_TEST_EPOCHS=40 "$mmarml" run -m "$live" --set run_id=live >"$work/live.out" 2>&1 &
pid=$!
journal="$live/automl/live/journal.mmarml"
for _ in $(seq 1 300); do # until a job has ended and another is running
    [ -f "$journal" ] && grep -q '"t":"end"' "$journal" &&
        [ "$(grep -c '"t":"start"' "$journal")" -gt "$(grep -c '"t":"end"' "$journal")" ] && break
    sleep 0.1
done
"$mmarml" report "$live/automl/live" -o "$work/live.html" 2>"$work/err" ||
    { cat "$work/err"; fail "report of a live run"; }
grep -q "<b>live or interrupted</b>" "$work/live.html" || fail "the live page does not say live"
grep -q "</i>running [1-9]" "$work/live.html" || fail "the live page shows no running job"
# the journal grows on: compare exactly against a copy, reported as it was copied
cp "$journal" "$work/snapshot.mmarml"
"$mmarml" report "$live/automl/live" --journal "$work/snapshot.mmarml" -o "$work/snap.html" \
    2>/dev/null || fail "report of a journal copied mid-run"
python3 "$top_srcdir/tests/report_check.py" "$work/snap.html" "$work/snapshot.mmarml" --live \
    >/dev/null || fail "the live page against the journal as it was"
wait $pid || { cat "$work/live.out"; fail "the live run failed after being reported"; }
python3 "$top_srcdir/tests/report_check.py" "$live/automl/live/report.html" "$journal" >/dev/null ||
    fail "the live run's final page"
grep -q "<b>finished</b>" "$live/automl/live/report.html" || fail "the final page is not finished"
echo "ok: a live run reported mid-run ended as usual, its final page complete"
