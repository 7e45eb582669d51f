"""Checks a page of `mmarml report` against the run's journal, read here independently
(records `J1 <len> <crc32c> <json>`, docs/resume.md): every chart has one mark per job
(learning curves: per job that reported), the status counts and the best job are the
journal's, every SVG is well-formed XML (so nothing a config holds escaped into markup),
and the page has exactly one script, ours. Prints the expected counts as JSON (the browser
test compares what the browser counts with them).

Usage: python3 tests/report_check.py <report.html> <journal> [--live]
  --live: the run was still going; jobs without an end record count as "running"
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def read_journal(path):
    records = []
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        end = data.find(b" ", data.find(b" ", at) + 1)  # after "J1 <len>"
        head = data[at:end].split(b" ")
        if len(head) != 2 or head[0] != b"J1":
            break
        length = int(head[1])
        body_at = data.find(b" ", end + 1) + 1  # after the crc
        body = data[body_at:body_at + length]
        if len(body) < length or data[body_at + length:body_at + length + 1] != b"\n":
            break  # a torn last record
        records.append(json.loads(body))
        at = body_at + length + 1
    return records


def expected(records, live):
    jobs, status, score, reported = [], {}, {}, set()
    for r in records:
        if r["t"] == "start" and r["job"] not in status:
            jobs.append(r["job"])
            status[r["job"]] = "running" if live else "interrupted"
        elif r["t"] == "end" and r["job"] in status:
            status[r["job"]] = r["status"]
            score[r["job"]] = r["score"]
        elif r["t"] == "report":
            reported.add(r["job"])
    counts = {}
    for s in status.values():
        counts[s] = counts.get(s, 0) + 1
    best = None
    for j in jobs:  # the highest score, the earliest of equal ones
        if status[j] == "ok" and (best is None or score[j] > score[best]):
            best = j
    return {"jobs": len(jobs), "statuses": counts, "reported": len(reported & set(jobs)),
            "best": best}


def worker_time(records):
    """GPU-seconds the ended jobs held and the GPU-seconds pruning saved, computed here as
    docs/early-stopping.md says: each pruned job's seconds per step from its first and last
    reports' times (its wall time over its last step where they span more than that, or it
    has fewer than two), times the steps it had left to the longest ok job's last step,
    times its worker's GPUs."""
    gpus, reports, held, full, pruned = {}, {}, 0.0, 0.0, []
    for r in records:
        if r["t"] == "start" and r["job"] not in gpus:
            gpus[r["job"]] = len(r["gpus"].split(",")) if r.get("gpus") else 0
        elif r["t"] == "report":
            reports.setdefault(r["job"], []).append((r["step"], r.get("time")))
    for r in records:
        if r["t"] != "end" or r["job"] not in gpus:
            continue
        took, g, got = r["end"] - r["start"], gpus[r["job"]], reports.get(r["job"], [])
        held += took * g
        if r["status"] == "ok" and got:
            full = max(full, got[-1][0])
        elif r["status"] == "pruned" and got and g > 0:
            (s0, t0), (s1, t1) = got[0], got[-1]
            timed = len(got) >= 2 and t0 is not None and t1 is not None and 0 <= t1 - t0 <= took
            pace = (t1 - t0) / (s1 - s0) if timed else took / s1
            pruned.append((pace * g, s1))
    return held, sum(per_step * (full - last) for per_step, last in pruned if last < full)


def fail(message):
    print("report_check: FAIL: " + message)
    sys.exit(1)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    live = len(sys.argv) == 4 and sys.argv[3] == "--live"
    records = read_journal(sys.argv[2])
    want = expected(records, live)
    with open(sys.argv[1], encoding="utf-8") as f:
        page = f.read()
    charts = {}
    for m in re.finditer(r'<svg class="chart" data-chart="([^"]+)".*?</svg>', page, re.S):
        try:
            root = ET.fromstring(m.group(0))
        except ET.ParseError as e:
            fail("chart %s is not well-formed XML: %s" % (m.group(1), e))
        charts[m.group(1)] = sum(1 for el in root.iter() if "data-job" in el.attrib)
    for name, marks in charts.items():
        need = want["reported"] if name == "curves" else want["jobs"]
        if marks != need:
            fail("chart %s has %d marks, the run has %d jobs" % (name, marks, need))
    for name in ("history", "parallel", "timeline", "param-0"):
        if name not in charts:
            fail("no %s chart" % name)
    if ("curves" in charts) != (want["reported"] > 0):
        fail("learning curves shown: %s, jobs that reported: %d"
             % ("curves" in charts, want["reported"]))
    key = re.search(r'<p class="key">(.*?)</p>', page, re.S)
    shown = dict((s, int(n)) for s, n in re.findall(r"</i>(\w+) (\d+)</span>", key.group(1)))
    if shown != want["statuses"]:
        fail("status counts %s, the journal's %s" % (shown, want["statuses"]))
    best = re.search(r'<h2 id="best">The best job</h2>\n<p><b>([^<]*)</b>', page)
    if (best.group(1) if best else None) != want["best"]:
        fail("best job %s, the journal's %s" % (best.group(1) if best else None, want["best"]))
    if page.count("<script") != 1:
        fail("%d script elements, one expected" % page.count("<script"))
    rows = len(re.findall(r"<tr><td data-v=", page))
    if rows != want["jobs"]:
        fail("the job table has %d rows, the run has %d jobs" % (rows, want["jobs"]))
    if not live:  # a live run's page counts the jobs ended when it was written
        held, saved = worker_time(records)
        shown_held = re.search(r"held their GPUs for [0-9.]+ GPU-hours \(([0-9]+) GPU-sec", page)
        shown_saved = re.search(r"Pruning saved about [0-9.]+ GPU-hours \(([0-9]+) GPU-sec", page)
        if held > 0 and (not shown_held or abs(int(shown_held.group(1)) - held) > 0.51):
            fail("GPU-seconds held: the page says %s, the journal %.2f"
                 % (shown_held.group(1) if shown_held else None, held))
        if (saved > 0) != (shown_saved is not None) or (
                shown_saved and abs(int(shown_saved.group(1)) - saved) > 0.51):
            fail("GPU-seconds pruning saved: the page says %s, the journal %.2f"
                 % (shown_saved.group(1) if shown_saved else None, saved))
        want["gpu_seconds"], want["saved_gpu_seconds"] = round(held, 2), round(saved, 2)
    want["charts"] = sorted(charts)
    print(json.dumps(want))


if __name__ == "__main__":
    main()
