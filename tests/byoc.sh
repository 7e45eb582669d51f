#!/usr/bin/env bash
# Clara's Python components under `mmarml run`, unchanged: tests/data/mmar-clara (a Clara
# MMAR whose BYOC/ holds Clara's own myAutoMLController.py) with both of Clara's
# bring-your-own configs (tests/data/config_automl_BYO_*.json), through the embedded-Python
# bridge (mmarml-python.so) and the mmarml and automl packages. MLflow is not in Debian: a
# stand-in records what MyHandler logs, one run per job, checked against the stats file.
# Also: no bridge, a refusal saying what to install; a component that raises, its traceback;
# a pruner of one's own in Python (tests/data/mmar-progress/BYOC/stop_below.py) by path.
# The configs' MMARHandler writes to /claraDevDay/AutoML/models, as Clara's do: root only.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
bridge="$top_builddir/python/.libs/mmarml-python.so"
[ -f "$bridge" ] && [ -n "${PYTHON3:-}" ] ||
    { echo "SKIP: the Python bridge was not built (apt-get install python3-dev)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: Clara's configs write to /claraDevDay: root only"; exit 77; }
[ -e /claraDevDay ] && { echo "SKIP: /claraDevDay exists already"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work" /claraDevDay' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the packages as they are installed: mmarml (with the built module), automl, and mlflow
mkdir -p "$work/pkg/mmarml"
cp "$top_srcdir"/python/mmarml/*.py "$top_srcdir/python/mmarml/py.typed" "$work/pkg/mmarml/"
cp "$top_builddir/python/mmarml/.libs/_mmarml.so" "$work/pkg/mmarml/"
cp -r "$top_srcdir/python/automl" "$top_srcdir/tests/data/mlflow-standin/mlflow" "$work/pkg/"
cp -r "$top_srcdir/tests/data/mmar-clara" "$work/mmar"
chmod -R u+w "$work/mmar"
cp "$top_srcdir"/tests/data/config_automl_BYO_*.json "$work/mmar/config/"
export MMARML_MODULE_DIR="$top_builddir/python/.libs" MMARML_PYTHONPATH="$work/pkg" \
    PYTHONPATH="$top_srcdir/tests/data/clara-medl" PYTHONDONTWRITEBYTECODE=1
run() { # config run_id: mmarml run as Clara's automlBYOC.sh would
    MLFLOW_STANDIN_LOG="$work/$2.mlflow" "$top_builddir/tools/mmarml" run -m "$work/mmar" \
        -a "$1" --set run_id="$2" trainconf=trn_autoML_LR_LP.json workers=0:0 traceout=none \
        >"$work/$2.out" 2>&1
}
check() { # run_id: every job MyHandler saw is an MLflow run with its score and params
    "$PYTHON3" - "/claraDevDay/AutoML/models/$1/automl_stats_log.json" "$work/$1.mlflow" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
runs = [json.loads(line) for line in open(sys.argv[2])]
ok = [j for j in stats["jobs"] if j["status"] == "ok"]
assert len(ok) >= 8, "%d ok jobs" % len(ok)
# the one other end: a job that began on the other worker just before the controller asked
# to stop is aborted (it may have no `_concreteSearchValue`, so MyHandler logs nothing of it)
others = [j["status"] for j in stats["jobs"] if j["status"] != "ok"]
assert len(others) <= 1 and set(others) <= {"aborted"}, others
assert len(runs) == len(stats["jobs"]), (len(runs), len(stats["jobs"]))
scored = [r for r in runs if r["metrics"].get("Acc") is not None]
scores = sorted(r["metrics"]["Acc"] for r in scored)
assert scores == sorted(j["score"] for j in ok), (scores, [j["score"] for j in ok])
assert all(set(r["params"]) == {"learning_rate", "gamma", "prob"} for r in scored), runs[0]
assert all(r["uri"] == "/claraDevDay/AutoML/mlruns" for r in runs)
print("ok: %d jobs, %d MLflow runs with their scores and params" % (len(stats["jobs"]), len(runs)))
PY
}
start_job_quiet() { # run_id: MyHandler.start_job reads the job context's `_recommendations`
    grep -q "MyHandler.start_job raised" "$work/$1.out" || return 0
    grep -A12 "MyHandler.start_job raised" "$work/$1.out" | head -14
    return 1
}

run config_automl_BYO_RandomController.json byo_controller ||
    { tail -30 "$work/byo_controller.out"; fail "Clara's RandomController and MyHandler"; }
grep -q '"by":"run","message":"Number of runs reached 8' \
    /claraDevDay/AutoML/models/byo_controller/journal.mmarml ||
    fail "Clara's RandomController did not ask to stop as it does (ctx.stop_work)"
start_job_quiet byo_controller || fail "Clara's MyHandler.start_job raised"
check byo_controller || fail "what MyHandler logged (RandomController)"
echo "ok: config_automl_BYO_RandomController.json: Clara's controller and handler, unchanged"

run config_automl_BYO_handler.json byo_handler ||
    { tail -30 "$work/byo_handler.out"; fail "ReinforcementController with MyHandler"; }
start_job_quiet byo_handler || fail "Clara's MyHandler.start_job raised"
check byo_handler || fail "what MyHandler logged (ReinforcementController)"
echo "ok: config_automl_BYO_handler.json: our controller, Clara's handler"

# without the bridge: refused, saying what to install, nothing run
rc=0
MMARML_MODULE_DIR="$work/none" run config_automl_BYO_handler.json nobridge || rc=$?
[ $rc -eq 1 ] && grep -q "python3-dev" "$work/nobridge.out" ||
    { cat "$work/nobridge.out"; fail "no bridge: exit $rc"; }
echo "ok: without the bridge the config is refused saying what to install"

# a component that raises: the run fails with its traceback, named
cat >"$work/mmar/BYOC/broken.py" <<'PY'
from automl.components.controllers.controller import Controller
class Broken(Controller):
    def set_search_space(self, space, ctx):
        self.n = len(space.targets)
    def initial_recommendation(self, ctx):
        return 1 / 0
PY
sed 's/myAutoMLController.RandomController/broken.Broken/; s/"max_rounds": 8//' \
    "$work/mmar/config/config_automl_BYO_RandomController.json" >"$work/mmar/config/broken.json"
rc=0
run broken.json broken || rc=$?
[ $rc -ne 0 ] && grep -q "ZeroDivisionError" "$work/broken.out" &&
    grep -q "initial_recommendation" "$work/broken.out" ||
    { cat "$work/broken.out"; fail "a raising controller: exit $rc"; }
echo "ok: a controller that raises ends the run with its traceback"

# a pruner of one's own in Python, named by path in config_automl.json (not Clara's: ours)
cp -r "$top_srcdir/tests/data/mmar-progress" "$work/progress"
chmod -R u+w "$work/progress"
rc=0
"$top_builddir/tools/mmarml" run -m "$work/progress" -a config_automl_python_pruner.json \
    --set run_id=pp pruner_log="$work/pruner.jsonl" traceout=none >"$work/pp.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -30 "$work/pp.out"; fail "the Python pruner's run: exit $rc"; }
"$PYTHON3" - "$work/progress/automl/pp/automl_stats_log.json" "$work/pruner.jsonl" <<'PY' ||
import json, math, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
told = [json.loads(line) for line in open(sys.argv[2])]
ended = {r["job"]: r["status"] for r in told if "status" in r}
assert len(jobs) == 6, len(jobs)
for j in jobs:
    q = j["concrete"]["test.float.$0:score"][0]
    want = "pruned" if q * (1 - math.exp(-1)) < 0.3 else "ok"
    assert j["status"] == want and ended[j["job"]] == want, (j, want, ended)
    assert {r["q"] for r in told if r["job"] == j["job"] and "q" in r} == {q}, j
assert {j["status"] for j in jobs} == {"ok", "pruned"}, jobs
print("ok: %d jobs, %d pruned" % (len(jobs), sum(j["status"] == "pruned" for j in jobs)))
PY
    { head -c 3000 "$work/progress/automl/pp/automl_stats_log.json"; fail "what the Python pruner decided"; }
echo "ok: a Python pruner by path under mmarml run (the bridge): it stops, and it is told every end"

# the same Python pruner replayed over that run by mmarml prune-replay (-m: the MMAR's BYOC
# folder): it stops the jobs the run pruned, and it is told what the run told it (the
# order of a stopped job's end may differ: the replay tells it at once)
rc=0
"$top_builddir/tools/mmarml" prune-replay -m "$work/progress" --json \
    -p "{\"path\": \"stop_below.StopBelow\", \"args\": {\"step\": 3, \"below\": 0.3,
         \"log\": \"$work/replayed.jsonl\"}}" "$work/progress/automl/pp" \
    >"$work/replay.json" 2>"$work/replay.err" || rc=$?
[ $rc -eq 0 ] || { cat "$work/replay.err"; fail "prune-replay with a Python pruner: exit $rc"; }
"$PYTHON3" - "$work/replay.json" "$work/progress/automl/pp/automl_stats_log.json" \
    "$work/pruner.jsonl" "$work/replayed.jsonl" <<'PY' ||
import json, sys
replayed = json.load(open(sys.argv[1]))
jobs = json.load(open(sys.argv[2]))["jobs"]
stopped = {j["job"] for j in replayed["jobs"] if j["stopped_at"] is not None}
assert stopped == {j["job"] for j in jobs if j["status"] == "pruned"}, (stopped, jobs)
told, retold = (sorted(open(path).read().splitlines()) for path in sys.argv[3:5])
assert told == retold, "the replay told the pruner something else"
print("ok: %d jobs stopped, %d calls alike" % (len(stopped), len(told)))
PY
    { cat "$work/replay.json"; fail "what prune-replay's Python pruner decided"; }
echo "ok: mmarml prune-replay runs a Python pruner from the MMAR's BYOC folder"

# stopped (SIGINT) and resumed: the new pruner is told again, in the same order, everything
# the first one was told, then the rest of the run
log2="$work/pruner-resumed.jsonl"
"$top_builddir/tools/mmarml" run -m "$work/progress" -a config_automl_python_pruner.json \
    --set run_id=pr pruner_log="$log2" traceout=none >"$work/pr1.out" 2>&1 &
pid=$!
for _ in $(seq 300); do
    ends=$(grep -c '"status"' "$log2" 2>/dev/null || true)
    [ "${ends:-0}" -ge 2 ] && break
    sleep 0.1
done
kill -INT $pid
wait $pid || true
told_before=$(wc -l <"$log2")
rc=0
"$top_builddir/tools/mmarml" run -m "$work/progress" -a config_automl_python_pruner.json \
    --set run_id=pr pruner_log="$log2" traceout=none --resume >"$work/pr2.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -30 "$work/pr1.out" "$work/pr2.out"; fail "the resumed run: exit $rc"; }
"$PYTHON3" - "$log2" "$told_before" "$work/progress/automl/pr/automl_stats_log.json" <<'PY' ||
import json, sys
told = [json.loads(line) for line in open(sys.argv[1])]
before = int(sys.argv[2])
assert 2 <= before < len(told) - before, (before, len(told))
assert told[before:2 * before] == told[:before], "the replay differs from what was told"
jobs = json.load(open(sys.argv[3]))["jobs"]
ended = {r["job"]: r["status"] for r in told if "status" in r}
assert {j["job"]: j["status"] for j in jobs}.items() <= ended.items(), (jobs, ended)
print("ok: %d calls before the stop, replayed alike; %d jobs in the end" % (before, len(jobs)))
PY
    { cat "$log2"; fail "what the resumed Python pruner was told"; }
echo "ok: a resumed run's Python pruner is told what the first one was, in the same order"
