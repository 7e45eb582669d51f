#!/usr/bin/env bash
# A whole AutoML through `mmarml run` with the SlurmExecutor on a real single-node Slurm
# started here (tests/slurm/cluster.sh): a job that scores, one that exits 3, one killed by
# a signal, and one that hangs until the admin's abort_worker cancels it (then a Clara MMAR,
# and jobs pruned by ASHAPruner through their progress files). Checks statuses,
# scores and stats against what Slurm itself says, and that nothing is left running.
# Exit 77 (skipped) when Slurm is not installed or cannot be started; never "passed" then.
# Needs root and jq. Run: make check-slurm, or top_builddir=build bash tests/slurm-live.sh
set -uo pipefail
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${top_builddir:-$src/build}
src=$(cd "$src" && pwd)
bld=$(cd "$bld" && pwd)
mmarml=$bld/tools/mmarml
W=

skip() { echo "SKIP: $*"; exit 77; }
fail() {
    echo "FAIL: $*"
    if [ -n "$W" ]; then
        echo "--- mmarml run output"; tail -n 30 "$W/run.log" 2>/dev/null
        echo "--- squeue"; squeue -t all 2>/dev/null
    fi
    exit 1
}

[ -x "$mmarml" ] || fail "no $mmarml: build first"
[ "$(id -u)" = 0 ] || skip "needs root (slurmd runs jobs as their owner)"
command -v jq >/dev/null || skip "jq is not installed"
for c in munged slurmctld slurmd sbatch scontrol scancel; do
    command -v $c >/dev/null ||
        skip "$c is not installed (apt-get install slurmctld slurmd slurm-client munge)"
done
# shellcheck source=tests/slurm/cluster.sh
. "$src/tests/slurm/cluster.sh"
W=$(mktemp -d /tmp/mmarml-slurm-live.XXXXXX)
chmod 755 "$W"
cleanup() {
    [ -n "${run:-}" ] && kill "$run" 2>/dev/null
    slurm_cluster_stop "$W/cluster"
    rm -rf "$W"
}
trap cleanup EXIT
slurm_cluster_start "$W/cluster" || skip "Slurm could not be started here"

cp -r "$src/tests/data/mmar-faults" "$W/mmar"
cp "$src/tests/slurm/config_automl_slurm.json" "$src/tests/slurm/config_train_slurm.json" \
    "$W/mmar/config/"
root=$W/mmar/automl/live
stats=$root/automl_stats_log.json
"$mmarml" run -m "$W/mmar" --automlconf config_automl_slurm.json \
    --set run_id=live trainconf=config_train_slurm.json >"$W/run.log" 2>&1 &
run=$!

ended() { jq '.jobs | length' "$stats" 2>/dev/null || echo 0; }
# wait_run WHAT: the background `mmarml run` must end within 60 s and exit 0
wait_run() {
    local rc
    for _ in $(seq 600); do kill -0 "$run" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$run" 2>/dev/null && fail "$1: the run did not end"
    wait "$run"
    rc=$?
    run=
    [ $rc -eq 0 ] || fail "$1: mmarml run exited $rc"
}
# ok, fail and signal end by themselves; then only the hanging job is left
for _ in $(seq 1200); do [ "$(ended)" -ge 3 ] && break; sleep 0.1; done
[ "$(ended)" -eq 3 ] || fail "expected 3 ended jobs, stats has $(ended)"
busy=
for _ in $(seq 300); do
    for w in W1 W2; do
        "$mmarml" admin "$root" show_worker $w 2>/dev/null | grep -q '"busy' && busy=$w
    done
    [ -n "$busy" ] && break
    sleep 0.1
done
[ -n "$busy" ] || fail "no busy worker for the hanging job"
hang_id=$(cat "$root"/*/slurm_job_id | sort -n | tail -n 1)
for _ in $(seq 300); do
    [ "$(squeue -h -t all -j "$hang_id" -o %T)" = RUNNING ] && break
    sleep 0.1
done
"$mmarml" admin "$root" abort_worker "$busy" >/dev/null || fail "abort_worker $busy refused"
wait_run "after the abort"

# every job: the status we report and the state Slurm itself reports
declare -A want_status=([ok]=ok [fail]=failed [signal]=failed [hang]=aborted)
declare -A want_slurm=([ok]=COMPLETED [fail]=FAILED [signal]=FAILED [hang]=CANCELLED)
[ "$(jq '.jobs | length' "$stats")" -eq 4 ] || fail "expected 4 jobs in the stats"
for i in 0 1 2 3; do
    job=$(jq -r ".jobs[$i].job" "$stats")
    mode=$(jq -r .mode "$root/$job/config/config_train.json")
    status=$(jq -r ".jobs[$i].status" "$stats")
    id=$(jq -r ".jobs[$i].cluster_job_id" "$stats")
    ours=$(jq -r ".jobs[$i].cluster_state" "$stats")
    theirs=$(squeue -h -t all -j "$id" -o %T)
    echo "job $job ($mode): status $status, Slurm job $id $theirs (seen as $ours)"
    [ "$status" = "${want_status[$mode]}" ] || fail "$mode: status $status"
    [ "$theirs" = "${want_slurm[$mode]}" ] || fail "$mode: Slurm says $theirs"
    [ "$ours" = "$theirs" ] || fail "$mode: we saw $ours, Slurm says $theirs"
    [ "$(cat "$root/$job/slurm_job_id")" = "$id" ] || fail "$mode: slurm_job_id file"
    case $mode in
    ok)
        [ "$(jq ".jobs[$i].score" "$stats")" = 0.5 ] || fail "ok: score"
        [ "$(jq ".jobs[$i].exit_code" "$stats")" = 0 ] || fail "ok: exit code"
        # the job ran in its MMAR with our environment, its output in log.txt, and no GPUs
        # of ours: CUDA_VISIBLE_DEVICES is the cluster's business
        [ "$(sed -n 2p "$root/$job/env.txt")" = "$job" ] || fail "ok: MMARML_JOB_NAME"
        [ "$(cat "$root/$job/gpus.txt")" = "" ] || fail "ok: CUDA_VISIBLE_DEVICES leaked"
        [ -f "$root/$job/log.txt" ] || fail "ok: no log.txt"
        ;;
    fail)
        [ "$(jq ".jobs[$i].exit_code" "$stats")" = 3 ] || fail "fail: exit code"
        grep -q "failing on purpose" "$root/$job/log.txt" || fail "fail: output not in log.txt"
        ;;
    signal) [ "$(jq ".jobs[$i].signal" "$stats")" = 9 ] || fail "signal: signal" ;;
    esac
done
# the sbatch options reached Slurm
scontrol -o show job "$hang_id" | grep -q "Partition=debug" || fail "partition not passed"
scontrol -o show job "$hang_id" | grep -q "TimeLimit=00:05:00" || fail "time_limit not passed"
scontrol -o show job "$hang_id" | grep -q "Comment=mmarml live test" ||
    fail "extra_args not passed"
[ -s "$root/summary.txt" ] || fail "no summary.txt"
# nothing of the cancelled job survives
if pgrep -f "sleep 1234.5" >/dev/null; then fail "the cancelled job's sleep survived"; fi
echo "part 1: ok, failed (exit 3), failed (signal 9), aborted (scancel): as expected"

# Part 2: slurmctld goes away for 3 s while a job runs, and comes back. The job keeps
# running on the node; the executor keeps asking and sees it complete, with its score.
cat > "$W/mmar/config/config_train_slow.json" <<'JSON'
{"mode": "slow", "score": 0.75,
 "search": [{"domain": "test", "type": "enum", "args": ["mode"], "targets": [["slow"]]}]}
JSON
root=$W/mmar/automl/restart
stats=$root/automl_stats_log.json
"$mmarml" run -m "$W/mmar" --automlconf config_automl_slurm.json \
    --set run_id=restart trainconf=config_train_slow.json >"$W/run.log" 2>&1 &
run=$!
for _ in $(seq 300); do
    id=$(cat "$root"/*/slurm_job_id 2>/dev/null)
    [ -n "$id" ] && [ "$(squeue -h -t all -j "$id" -o %T)" = RUNNING ] && break
    sleep 0.1
done
[ -n "$id" ] || fail "restart: the job was not submitted"
slurm_cluster_restart_ctld "$W/cluster" 3 || fail "slurmctld did not come back"
wait_run restart
[ "$(jq -r '.jobs[0].status' "$stats")" = ok ] || fail "restart: status $(jq -r '.jobs[0].status' "$stats")"
[ "$(jq '.jobs[0].score' "$stats")" = 0.75 ] || fail "restart: score"
[ "$(squeue -h -t all -j "$id" -o %T)" = COMPLETED ] || fail "restart: Slurm lost the job"
echo "part 2: job $id survived a slurmctld restart and was seen COMPLETED with its score"
# Part 3: mmarml run is killed (-9) while two jobs run in Slurm; the resumed run adopts
# them (no second sbatch), follows them to their end, and runs the third job.
cat > "$W/mmar/config/config_train_adopt.json" <<'JSON'
{"mode": "slow", "score": 0.25,
 "search": [{"domain": "test", "type": "enum", "args": ["score"],
             "targets": [[0.25], [0.5], [0.75]]}]}
JSON
root=$W/mmar/automl/adopt
stats=$root/automl_stats_log.json
adopt_run() {
    "$mmarml" run -m "$W/mmar" --automlconf config_automl_slurm.json \
        --set run_id=adopt trainconf=config_train_adopt.json "$@" >>"$W/run.log" 2>&1 &
    run=$!
}
adopt_run
running=0
for _ in $(seq 300); do
    running=0
    for f in "$root"/*/slurm_job_id; do
        [ -f "$f" ] && [ "$(squeue -h -t all -j "$(cat "$f")" -o %T)" = RUNNING ] &&
            running=$((running + 1))
    done
    [ "$running" -ge 2 ] && break
    sleep 0.1
done
[ "$running" -ge 2 ] || fail "adopt: two jobs did not start in Slurm"
before=$(cat "$root"/*/slurm_job_id | sort -n | tr '\n' ' ')
{ kill -9 "$run" && wait "$run"; } 2>/dev/null
run=
adopt_run --resume
wait_run "adopt: the resumed run"
[ "$(jq '.jobs | length' "$stats")" -eq 3 ] || fail "adopt: expected 3 jobs in the stats"
for id in $before; do
    [ "$(jq -r --arg id "$id" '.jobs[] | select(.cluster_job_id == $id) | .status' "$stats")" = ok ] ||
        fail "adopt: Slurm job $id is not an ok job of the resumed run"
done
submitted=$(squeue -h -t all -o %j | grep -c '^mmarml\.adopt\.')
[ "$submitted" -eq 3 ] || fail "adopt: $submitted jobs submitted to Slurm, expected 3 (none twice)"
[ "$(grep -c 'adopted cluster job' "$root/trace.txt")" -eq 2 ] || fail "adopt: trace"
echo "part 3: after kill -9, Slurm jobs $before were adopted (3 submissions in all) and ended ok"
# Part 4: a Clara MMAR as it is (tests/data/mmar-clara: Clara's commands/, whose round script
# sources set_env.sh through dirname "$0" and runs python3 -m medl.apps.train; a stand-in
# medl on PYTHONPATH). sbatch runs a spool copy of what it is given, so the round script
# only finds set_env.sh when it runs as itself.
if command -v python3 >/dev/null; then
    cp -r "$src/tests/data/mmar-clara" "$W/clara"
    cat > "$W/clara/config/config_automl_slurm.json" <<'JSON'
{"handlers": [{"name": "MMARHandler", "args": {"num_mmars_to_keep": 30,
                                               "train_config_file": "{trainconf}"}},
              {"name": "MMARStatsHandler"}],
 "executor": {"name": "SlurmExecutor", "args": {"partition": "debug", "poll_interval": 0.25,
                                                "max_concurrent": 2}},
 "controller": {"name": "RandomController", "args": {"max_rounds": 3}}}
JSON
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$src/tests/data/clara-medl" "$mmarml" run -m "$W/clara" \
        --automlconf config_automl_slurm.json \
        --set run_id=clara trainconf=trn_autoML_LR_LP.json >"$W/clara.log" 2>&1 ||
        fail "clara: $(tail -5 "$W/clara.log")"
    root=$W/clara/automl/clara
    [ "$(jq '[.jobs[] | select(.status == "ok")] | length' "$root/automl_stats_log.json")" -eq 3 ] ||
        fail "clara: not 3 ok jobs"
    for probe in "$root"/*/models/clara_probe.json; do
        job=$(basename "$(dirname "$(dirname "$probe")")")
        [ "$(jq -r .mmar_root "$probe")" = "$(realpath "$root/$job")" ] || fail "clara: MMAR_ROOT"
        [ "$(jq -r .byoc "$probe")" = "$(realpath "$root/$job/BYOC")" ] || fail "clara: BYOC"
    done
    echo "part 4: Clara's round script and set_env.sh ran as themselves in Slurm: 3 jobs ok"
else
    echo "part 4: skipped (no python3 for the stand-in medl.apps.train)"
fi
# Part 5: early stopping in Slurm. Trainers report to their progress file on the (here:
# local) shared file system; the executor reads it at the poll interval; ASHAPruner stops
# the worse ones, which see the stop marker and leave; they end pruned, not failed.
if command -v python3 >/dev/null; then
    cp -r "$src/tests/data/mmar-progress" "$W/prune"
    cat > "$W/prune/config/config_automl_slurm.json" <<'JSON'
{"handlers": [{"name": "MMARHandler"}, {"name": "MMARStatsHandler"}],
 "executor": {"name": "SlurmExecutor", "args": {"partition": "debug", "poll_interval": 0.25,
                                                "abort_grace_period": 5}},
 "engine": {"workers": "-:-"},
 "controller": {"name": "RandomController", "args": {"max_rounds": 6, "seed": 3}},
 "pruner": {"name": "ASHAPruner",
            "args": {"min_resource": 2, "reduction_factor": 3, "max_resource": 20}}}
JSON
    MMARML_TEST_PROGRESS=curve MMARML_TEST_EPOCHS=20 "$mmarml" run -m "$W/prune" \
        --automlconf config_automl_slurm.json --set run_id=prune >"$W/prune.log" 2>&1 ||
        fail "prune: $(tail -5 "$W/prune.log")"
    root=$W/prune/automl/prune
    pstats=$root/automl_stats_log.json
    pruned=$(jq '[.jobs[] | select(.status == "pruned")] | length' "$pstats")
    ok=$(jq '[.jobs[] | select(.status == "ok")] | length' "$pstats")
    [ "$pruned" -ge 1 ] && [ "$ok" -ge 1 ] && [ $((pruned + ok)) -eq 6 ] ||
        fail "prune: $ok ok and $pruned pruned of 6: $(jq -c '[.jobs[].status]' "$pstats")"
    for job in $(jq -r '.jobs[] | select(.status == "pruned") | .job' "$pstats"); do
        [ -e "$root/$job/.mmarml_stop" ] || fail "prune: no stop marker in $job"
        grep -q "stop marker seen" "$root/$job/log.txt" || fail "prune: $job did not see it"
        [ "$(jq --arg j "$job" '.jobs[] | select(.job == $j) | .last_step' "$pstats" |
            cut -d. -f1)" -lt 20 ] || fail "prune: $job ran to the end"
    done
    jq -e '[.jobs[] | select(.reports > 0)] | length == 6' "$pstats" >/dev/null ||
        fail "prune: not every job's reports were read from the shared file system"
    echo "part 5: ASHAPruner in Slurm: $ok ok, $pruned pruned through the stop marker"
else
    echo "part 5: skipped (no python3 for the test trainer)"
fi
echo "PASS: AutoML on a live Slurm"
