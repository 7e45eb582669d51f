#!/usr/bin/env bash
# mmarml report in a real browser: headless Chromium (Debian's chromium package) loads the
# page of a real run (tests/data/mmar-progress with ASHA) with no console error and no
# uncaught exception, counts the marks of every chart (one per job, as the journal says),
# sorts the job table by score through its column head, points at a mark (its tooltip
# names the job), and takes a screenshot that must not be blank. Skipped (77) where Chromium is not installed.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "SKIP: no chromium (apt-get install chromium)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
chrome() { # the flags a root user in a container needs; the profile stays in $work
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-dev-shm-usage --user-data-dir="$work/profile" "$@"
}

cp -r "$top_srcdir/tests/data/mmar-progress" "$work/mmar"
chmod -R u+w "$work/mmar"
"$top_builddir/tools/mmarml" run -m "$work/mmar" -a config_automl_asha.json \
    --set run_id=b >"$work/run.out" 2>&1 || { cat "$work/run.out"; fail "mmarml run"; }
root="$work/mmar/automl/b"
want=$(python3 "$top_srcdir/tests/report_check.py" "$root/report.html" "$root/journal.mmarml") ||
    fail "the page against its journal: $want"

# A copy of the page with a probe run before the page's own script: it records errors,
# counts the marks once the page has loaded, sorts the table by score and checks the order.
probe='<script>
var probeErrors = [];
window.addEventListener("error", function (e) { probeErrors.push(String(e.message)); });
console.error = function () { probeErrors.push([].join.call(arguments, " ")); };
window.addEventListener("load", function () {
  var out = {charts: {}, errors: probeErrors};
  document.querySelectorAll("svg[data-chart]").forEach(function (s) {
    out.charts[s.dataset.chart] = s.querySelectorAll("[data-job]").length;
    if (!(s.getBoundingClientRect().width > 0)) probeErrors.push("chart not drawn: " + s.dataset.chart);
  });
  var heads = Array.from(document.querySelectorAll("#jobs th"));
  var col = heads.findIndex(function (th) { return th.textContent === "score"; });
  heads[col].click();
  var v = Array.from(document.querySelectorAll("#jobs tbody tr")).map(function (r) {
    return parseFloat(r.cells[col].dataset.v); }).filter(function (x) { return !isNaN(x); });
  out.sorted = v.length > 1 && v.every(function (x, i) { return i === 0 || v[i - 1] <= x; });
  var mark = document.querySelector("svg[data-chart=history] [data-job]");
  mark.dispatchEvent(new MouseEvent("mouseover", {bubbles: true, clientX: 20, clientY: 20}));
  var tip = document.getElementById("tip");
  out.tip = tip.style.display === "block" && tip.textContent.indexOf(mark.dataset.job) === 0;
  var pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>'
python3 - "$root/report.html" "$work/probe.html" "$probe" <<'EOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("<head>", "<head>" + sys.argv[3], 1))
EOF
chrome --enable-logging=stderr --v=0 --virtual-time-budget=10000 --dump-dom \
    "file://$work/probe.html" >"$work/dom.html" 2>"$work/console.txt" ||
    { tail -20 "$work/console.txt"; fail "chromium could not load the page"; }
python3 - "$work/dom.html" "$want" <<'EOF' || fail "what the browser saw"
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
want = json.loads(sys.argv[2])
m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
if not m:
    sys.exit("the probe did not run: the page did not load")
got = json.loads(html.unescape(m.group(1)))
if got["errors"]:
    sys.exit("errors in the page: %s" % got["errors"])
if sorted(got["charts"]) != want["charts"]:
    sys.exit("charts %s, expected %s" % (sorted(got["charts"]), want["charts"]))
for name, marks in got["charts"].items():
    need = want["reported"] if name == "curves" else want["jobs"]
    if marks != need:
        sys.exit("chart %s: the browser counts %d marks, the run has %d" % (name, marks, need))
if not got["sorted"]:
    sys.exit("clicking the score column did not sort the table by score")
if not got["tip"]:
    sys.exit("pointing at a mark showed no tooltip naming its job")
print("ok: chromium: %d charts, %d marks each, no error, the table sorts, marks name their job"
      % (len(got["charts"]), want["jobs"]))
EOF
if grep -E "Uncaught|CONSOLE\(.*(Error|error)" "$work/console.txt"; then
    fail "chromium's console reported errors"
fi

chrome --hide-scrollbars --window-size=1200,2600 --screenshot="$work/shot.png" \
    "file://$root/report.html" >/dev/null 2>&1 || fail "chromium could not take a screenshot"
read -r ink colours < <(python3 "$top_srcdir/tests/png_ink.py" "$work/shot.png")
python3 -c "import sys; sys.exit(0 if $ink > 0.02 and $colours >= 16 else 1)" ||
    fail "the screenshot is blank: ink $ink, $colours colours"
echo "ok: the screenshot is drawn: ${ink} of its pixels inked, $colours colours"
