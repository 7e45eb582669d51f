#!/usr/bin/env bash
# Crash tests of `mmarml run` on real processes (issue 10), run by `make check-crash`:
#  1. kill -9 of mmarml run at KILLS random moments (default 50), each run then resumed
#     (and sometimes killed again) to its end; every second killed run sees a file system
#     without O_TMPFILE (an LD_PRELOAD shim built here), where temporary files are named;
#  2. the journal of a finished run cut at CUTS random byte offsets (default 50), resumed;
#  3. a journal that is not ours, a read-only run root, a full disk (a small tmpfs).
# After every resume to the end: every started job ended exactly once, in the journal and
# in the stats file; no job whose end was recorded ever started again (markers the round
# script writes); no process of the run is left; no temporary file is left; and the stats
# file parsed as JSON at every moment a sampler looked at it. Needs python3. Part 3's tmpfs
# needs root (else skipped).
set -uo pipefail
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${top_builddir:-$src/build}
src=$(cd "$src" && pwd)
bld=$(cd "$bld" && pwd)
mmarml=$bld/tools/mmarml
KILLS=${KILLS:-50}
CUTS=${CUTS:-50}
W=$(mktemp -d /tmp/mmarml-crash.XXXXXX)
sampler=
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
    mountpoint -q "$W/fs" 2>/dev/null && umount -l "$W/fs"
    pkill -9 -f "$W/" 2>/dev/null
    [ -n "${KEEP:-}" ] && return
    rm -rf "$W"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
[ -x "$mmarml" ] || fail "no $mmarml: build first"

# ---- an MMAR whose round script is a deterministic trainer that leaves markers ----
M=$W/mmar
mkdir -p "$M/commands" "$M/config" "$M/models"
cp "$src/examples/mmar-demo/config/config_train.json" "$M/config/"
cat >"$M/commands/automl_train_round.sh" <<'EOF'
#!/bin/sh
# crash-round: start and done markers; a score and a run time that depend only on the config
marks="$MMARML_RUN_ROOT/trainer-marks"
echo "start $MMARML_JOB_NAME" >>"$marks"
sum=$(cksum <"$MMAR_ROOT/config/config_train.json" | cut -d' ' -f1)
sleep "$(printf '0.%02d' $((sum % 20)))"
mkdir -p "$MMAR_ROOT/models"
printf '{"best_validation_metric": 0.%03d}\n' $((sum % 1000)) >"$MMAR_ROOT/models/s.tmp"
mv "$MMAR_ROOT/models/s.tmp" "$MMAR_ROOT/models/train_stats.json"
echo "done $MMARML_JOB_NAME" >>"$marks"
EOF
chmod +x "$M/commands/automl_train_round.sh"
automl() { # automl <work_dir>
    cat <<EOF
{
  "engine": {"workers": "0:1"},
  "handlers": [
    {"name": "MMARHandler", "args": {"num_mmars_to_keep": 3, "work_dir": "$1"}},
    {"name": "MMARStatsHandler"}
  ],
  "executor": {"name": "MMARExecutor", "args": {"msg_destination": "file"}},
  "controller": {"name": "RandomController", "args": {"max_rounds": 16, "seed": 5}}
}
EOF
}
automl "$W/runs" >"$M/config/config_automl.json"
R=$W/runs

# ---- an independent reader of the journal (docs/resume.md's format) and the checks ----
cat >"$W/check.py" <<'EOF'
import json, sys, os
def records(path):
    data = open(path, 'rb').read()
    pos, out = 0, []
    while pos < len(data):
        if not data.startswith(b'J1 ', pos):
            break
        sp1 = data.index(b' ', pos + 3)
        n = int(data[pos + 3:sp1])
        body = sp1 + 1 + 8 + 1
        if body + n + 1 > len(data) or data[body + n:body + n + 1] != b'\n':
            break
        out.append(json.loads(data[body:body + n]))
        pos = body + n + 1
    return out
root, rounds = sys.argv[1], int(sys.argv[2])
recs = records(os.path.join(root, 'journal.mmarml'))
starts, ends, part, end_part = {}, {}, 0, {}
for r in recs:
    t = r['t']
    if t == 'resume':
        part += 1
    elif t == 'start':
        starts.setdefault(r['job'], 0)
        starts[r['job']] += 1
    elif t == 'end':
        if r['job'] in ends:
            sys.exit('job %s ended twice in the journal' % r['job'])
        ends[r['job']] = r
        end_part[r['job']] = part
if recs[-1]['t'] != 'end_run':
    sys.exit('the run did not end: last record %s' % recs[-1]['t'])
missing = set(starts) - set(ends)
if missing:
    sys.exit('started, never ended: %s' % sorted(missing))
final = [j for j, r in ends.items() if not r.get('retry')]
if len(final) != rounds:
    sys.exit('%d outcomes, expected %d' % (len(final), rounds))
stats = json.load(open(os.path.join(root, 'automl_stats_log.json')))
names = [j['job'] for j in stats['jobs']]
if len(names) != len(set(names)) or set(names) != set(ends):
    sys.exit('stats file jobs differ from the journal: %d listed, %d unique, %d ended'
             % (len(names), len(set(names)), len(ends)))
# markers: "part" lines are written before each resume; no job may start after the part in
# which its end was recorded
marks, cur, started_after = open(os.path.join(root, 'trainer-marks')).read().split('\n'), 0, []
for line in marks:
    if line == 'part':
        cur += 1
    elif line.startswith('start '):
        job = line.split()[1]
        if job in end_part and cur > end_part[job]:
            started_after.append(job)
if started_after:
    sys.exit('jobs ran again after their end was recorded: %s' % started_after)
print('ok %d jobs, %d parts' % (len(ends), part + 1))
EOF

# a sampler that parses the current run's stats file as often as it can
cat >"$W/sample.py" <<'EOF'
import json, sys, os, time
cur_file, bad = sys.argv[1], 0
seen = 0
while True:
    try:
        root = open(cur_file).read().strip()
        p = os.path.join(root, 'automl_stats_log.json')
        with open(p) as f:
            text = f.read()
        json.loads(text)
        seen += 1
    except FileNotFoundError:
        pass
    except json.JSONDecodeError:
        bad += 1
        open(cur_file + '.bad', 'a').write('%s\n' % p)
    open(cur_file + '.seen.tmp', 'w').write('%d %d\n' % (seen, bad))
    os.replace(cur_file + '.seen.tmp', cur_file + '.seen')
    time.sleep(0.002)
EOF
echo "$R/none" >"$W/current"
python3 "$W/sample.py" "$W/current" &
sampler=$!

survivors() { pgrep -f "$W/mmar |$R/|$W/fs/" | wc -l; }
wait_no_survivors() {
    local i
    for i in $(seq 50); do
        [ "$(survivors)" = 0 ] && return 0
        sleep 0.1
    done
    ps -eo pid,pgid,cmd | grep -E "$R/" | grep -v grep
    return 1
}

# A file system without O_TMPFILE, for every second kill: there atomic writes name their
# temporary file from the start, so a kill leaves one far more often (the resume removes it)
cat >"$W/no-tmpfile.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
static int refuse_or_open(const char *name, const char *path, int flags, va_list ap)
{
    int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
    mode_t mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    if ((flags & O_TMPFILE) == O_TMPFILE) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return real(path, flags, mode);
}
int open(const char *path, int flags, ...)
{
    va_list ap;
    int fd;
    va_start(ap, flags);
    fd = refuse_or_open("open", path, flags, ap);
    va_end(ap);
    return fd;
}
/* the same call on x86_64: callers built with large-file names reach it here */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
EOF
no_tmpfile= without="none ran: no C compiler, or the shim did not take"
# taken only once it is seen to refuse O_TMPFILE
if ${CC:-cc} -shared -fPIC -o "$W/no-tmpfile.so" "$W/no-tmpfile.c" -ldl 2>/dev/null &&
    LD_PRELOAD=$W/no-tmpfile.so python3 -c "import os, sys
try:
    os.open('$W', os.O_TMPFILE | os.O_WRONLY, 0o644)
except OSError:
    sys.exit(0)
sys.exit(1)"; then
    no_tmpfile=$W/no-tmpfile.so without="every second kill"
fi

# run_killed <run_id> <max seconds before the kill> [<option>]; $preload: LD_PRELOAD
run_killed() {
    local id=$1 max=$2 pid delay
    delay=$(python3 -c "import random; print(round(random.uniform(0, $max), 3))")
    LD_PRELOAD=${preload:-} "$mmarml" run -m "$M" --set run_id="$id" traceout=none ${3:-} \
        >>"$W/$id.log" 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    wait_no_survivors || fail "$id: processes of the run outlived it (killed after $delay s)"
}

resume_to_end() { # resume_to_end <run_id> [<work dir>]
    local id=$1 root=${2:-$R}
    echo part >>"$root/$id/trainer-marks"
    "$mmarml" run -m "$M" --set run_id="$id" traceout=none --resume >>"$W/$id.log" 2>&1 ||
        fail "$id: the resume failed: $(tail -3 "$W/$id.log")"
}

# ---- 1. kill -9 at random moments ----
echo "== 1. kill -9 of mmarml run at $KILLS random moments, each resumed to the end"
temps_left=0 temps_left_named=0
for i in $(seq "$KILLS"); do
    id=k$i
    echo "$R/$id" >"$W/current"
    shim=
    [ $((i % 2)) = 0 ] && shim=$no_tmpfile
    preload=$shim run_killed "$id" 2.5 # for this call only
    # atomic writes name their temporary file only between its link and its rename (from the
    # start without O_TMPFILE): a kill there leaves one (counted); the resume removes it
    if ls -a "$R/$id" 2>/dev/null | grep -q '\.tmp\.'; then
        if [ -n "$shim" ]; then
            temps_left_named=$((temps_left_named + 1))
        else
            temps_left=$((temps_left + 1))
        fi
    fi
    if [ ! -s "$R/$id/journal.mmarml" ]; then
        # killed before the journal had a record: the run never started; a new run goes
        [ -d "$R/$id" ] && rm -rf "${R:?}/$id"
        "$mmarml" run -m "$M" --set run_id="$id" traceout=none >>"$W/$id.log" 2>&1 ||
            fail "$id: a new run after an early kill failed"
    else
        [ -f "$R/$id/trainer-marks" ] || : >"$R/$id/trainer-marks"
        if [ $((i % 3)) = 0 ]; then # killed a second time, while resuming
            parts=$(grep -c '"t":"resume"' "$R/$id/journal.mmarml" || true)
            echo part >>"$R/$id/trainer-marks"
            run_killed "$id" 1.5 --resume
            # killed before its resume record: that attempt began no part (and ran no job)
            if [ "$(grep -c '"t":"resume"' "$R/$id/journal.mmarml" || true)" = "$parts" ] &&
                [ "$(tail -1 "$R/$id/trainer-marks")" = part ]; then
                sed -i '$d' "$R/$id/trainer-marks"
            fi
        fi
        resume_to_end "$id"
    fi
    wait_no_survivors || fail "$id: processes left after the run ended"
    ! ls -a "$R/$id" | grep -q '\.tmp\.' || fail "$id: a temporary file outlived the resume"
    python3 "$W/check.py" "$R/$id" 16 >"$W/$id.check" || fail "$id: $(cat "$W/$id.check")"
done
kill "$sampler" && wait "$sampler" 2>/dev/null
sampler=
read -r seen bad <"$W/current.seen"
[ "$bad" = 0 ] || fail "the stats file was not valid JSON $bad times: $(sort -u "$W/current.bad")"
echo "ok: $KILLS runs killed and resumed; stats file parsed $seen times, never invalid;" \
    "kills that left a temporary file: $temps_left with O_TMPFILE, $temps_left_named" \
    "without it ($without); no resume kept one"

# ---- 2. the journal cut at random offsets ----
echo "== 2. the journal of a finished run cut at $CUTS random byte offsets, then resumed"
"$mmarml" run -m "$M" --set run_id=full traceout=none >"$W/full.log" 2>&1 || fail "full run"
size=$(stat -c %s "$R/full/journal.mmarml")
header=$(head -c 4096 "$R/full/journal.mmarml" | head -1 | wc -c)
refused=0
for i in $(seq "$CUTS"); do
    id=c$i
    cut=$(python3 -c "import random; print(random.randrange(0, $size))")
    cp -a "$R/full" "$R/$id"
    truncate -s "$cut" "$R/$id/journal.mmarml"
    echo "$R/$id" >"$W/current"
    if [ "$cut" -lt "$header" ]; then
        # no whole header: nothing to resume, and nothing is changed
        before=$(cd "$R/$id" && find . -type f -exec md5sum {} + | sort | md5sum)
        "$mmarml" run -m "$M" --set run_id="$id" traceout=none --resume >"$W/$id.log" 2>&1 &&
            fail "$id: a journal cut at $cut (inside its header) was resumed"
        grep -q "nothing to resume" "$W/$id.log" || fail "$id: $(cat "$W/$id.log")"
        after=$(cd "$R/$id" && find . -type f -exec md5sum {} + | sort | md5sum)
        [ "$before" = "$after" ] || fail "$id: a refused resume changed the run root"
        refused=$((refused + 1))
        continue
    fi
    resume_to_end "$id"
    wait_no_survivors || fail "$id: processes left"
    python3 "$W/check.py" "$R/$id" 16 >"$W/$id.check" || fail "$id (cut at $cut of $size): $(cat "$W/$id.check")"
done
echo "ok: $CUTS cuts ($refused inside the header, refused with nothing changed)"

# ---- 3. hostile and unlucky surroundings ----
echo "== 3. a journal not ours, a read-only run root, a full disk"
run_killed foreign 1.0
[ -s "$R/foreign/journal.mmarml" ] || "$mmarml" run -m "$M" --set run_id=foreign traceout=none >/dev/null 2>&1
cp "$R/foreign/journal.mmarml" "$W/journal.saved"
printf 'name,score\nmine,1\n' >"$R/foreign/journal.mmarml"
before=$(cd "$R/foreign" && find . -type f -exec md5sum {} + | sort | md5sum)
"$mmarml" run -m "$M" --set run_id=foreign traceout=none --resume >"$W/foreign.log" 2>&1 &&
    fail "a journal that is not ours was resumed"
grep -q "not an mmarml journal" "$W/foreign.log" || fail "foreign: $(cat "$W/foreign.log")"
after=$(cd "$R/foreign" && find . -type f -exec md5sum {} + | sort | md5sum)
[ "$before" = "$after" ] || fail "a refused resume of a foreign journal changed the run root"
echo "ok: a journal that is not ours is refused: $(head -1 "$W/foreign.log")"

if [ "$(id -u)" = 0 ] && mkdir -p "$W/fs" && mount -t tmpfs -o size=4m tmpfs "$W/fs" 2>/dev/null; then
    automl "$W/fs" >"$M/config/config_automl.json"
    # read-only: killed mid-run, the file system made read-only, a resume is refused
    run_killed ro 1.0
    if [ -s "$W/fs/ro/journal.mmarml" ]; then
        : >>"$W/fs/ro/trainer-marks"
        mount -o remount,ro "$W/fs" || fail "remount ro"
        "$mmarml" run -m "$M" --set run_id=ro traceout=none --resume >"$W/ro.log" 2>&1 &&
            fail "a resume on a read-only run root succeeded"
        grep -qi "read-only" "$W/ro.log" || fail "read-only: $(cat "$W/ro.log")"
        echo "ok: a read-only run root: $(head -1 "$W/ro.log")"
        mount -o remount,rw "$W/fs"
        resume_to_end ro "$W/fs"
        python3 "$W/check.py" "$W/fs/ro" 16 >"$W/ro.check" || fail "ro: $(cat "$W/ro.check")"
        rm -rf "$W/fs/ro"
    fi
    # the disk fills up while the run goes on
    "$mmarml" run -m "$M" --set run_id=full traceout=none >"$W/enospc.log" 2>&1 &
    pid=$!
    # fill the disk once two jobs have ended (a fixed wait let a fast machine finish the
    # run before the disk was full)
    for _ in $(seq 400); do
        ends=$(grep -c '"t":"end"' "$W/fs/full/journal.mmarml" 2>/dev/null)
        [ "${ends:-0}" -ge 2 ] && break # no journal yet: no count
        sleep 0.025
    done
    dd if=/dev/zero of="$W/fs/filler" bs=64k 2>/dev/null
    wait "$pid"
    rc=$?
    grep -q "No space left on device" "$W/enospc.log" ||
        fail "a full disk gave no clear error: $(tail -3 "$W/enospc.log")"
    echo "ok: a full disk is reported: $(grep -m1 'No space left' "$W/enospc.log")"
    rm -f "$W/fs/filler"
    if [ "$rc" = 3 ]; then # the file system failed under the run: it stopped, resumable
        : >>"$W/fs/full/trainer-marks"
        resume_to_end full "$W/fs"
    elif [ "$rc" != 0 ]; then
        fail "enospc: exit $rc (a full disk stops the run with exit 3)"
    fi
    [ ! -e "$W/fs/full/.automl_stats_log.json.reserve" ] || fail "the stats reserve was left"
    python3 "$W/check.py" "$W/fs/full" 16 >"$W/fs.check" || fail "enospc: $(cat "$W/fs.check")"
    echo "ok: nothing recorded was lost (exit $rc): $(cat "$W/fs.check")"
    automl "$W/runs" >"$M/config/config_automl.json"
else
    echo "note: no tmpfs could be mounted here: read-only and full-disk parts skipped"
fi
wait_no_survivors || fail "processes left at the end"
echo "PASS: crash-resume"
