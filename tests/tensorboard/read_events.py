"""An independent reader of the event files MMARTensorboardHandler writes: Python code that
protoc generates from TensorBoard's own .proto files (lib/tensorboard/proto), and a CRC-32C of
its own. Usage: read_events.py <generated python dir> <run root> <run start> <trainer t0>
(epoch seconds: when the run began, and the base of the times the test trainer reports).
It checks each record's framing and checksums, decodes every Event, and compares the HParams
experiment and sessions, and each job's "progress" curve (steps, values, times), with the
run's automl_stats_log.json. Prints one line per session; exits 1 on any mismatch."""
import glob
import json
import math
import os
import struct
import sys
import time

sys.path.insert(0, sys.argv[1])
from tensorboard.compat.proto import event_pb2  # noqa: E402
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2  # noqa: E402

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)


def masked_crc(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def events(path):
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        if pos + 12 > len(data):
            fail("%s: torn record header at %d" % (path, pos))
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        (crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if crc != masked_crc(data[pos:pos + 8]):
            fail("%s: bad length CRC at %d" % (path, pos))
        body = data[pos + 12:pos + 12 + length]
        (crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if len(body) != length or crc != masked_crc(body):
            fail("%s: bad data CRC at %d" % (path, pos))
        ev = event_pb2.Event()
        ev.ParseFromString(body)
        out.append(ev)
        pos += 16 + length
    if not out or out[0].file_version != "brain.Event:2":
        fail("%s: no file_version event first" % path)
    return out[1:]


def hparams_values(evs):
    """{tag: HParamsPluginData}, {tag: simple_value} and the "progress" curve, [(step,
    value, wall_time)], of a file's summary events."""
    plugin, scalars, curve = {}, {}, []
    for ev in evs:
        for v in ev.summary.value:
            if v.metadata.plugin_data.plugin_name == "hparams":
                d = plugin_data_pb2.HParamsPluginData()
                d.ParseFromString(v.metadata.plugin_data.content)
                plugin[v.tag] = d
            elif v.tag == "progress":
                curve.append((ev.step, v.simple_value, ev.wall_time))
            elif v.HasField("simple_value"):
                scalars[v.tag] = v.simple_value
    return plugin, scalars, curve


root = sys.argv[2]
run_began, trainer_t0 = float(sys.argv[3]), float(sys.argv[4])
stats = json.load(open(os.path.join(root, "automl_stats_log.json")))
params = [p["prl"] for p in stats["search_space"]["params"]]
tb = os.path.join(root, "tensorboard")
top = glob.glob(os.path.join(tb, "events.out.tfevents.*"))
if len(top) != 1:
    fail("expected one experiment file, found %d" % len(top))
plugin, _, _ = hparams_values(events(top[0]))
exp = plugin.get("_hparams_/experiment")
if exp is None or exp.WhichOneof("data") != "experiment":
    fail("no experiment")
if sorted(h.name for h in exp.experiment.hparam_infos) != sorted(params):
    fail("experiment params %s, expected %s" % ([h.name for h in exp.experiment.hparam_infos], params))
if [m.name.tag for m in exp.experiment.metric_infos] != ["score"]:
    fail("experiment metric")
for job in stats["jobs"]:
    files = glob.glob(os.path.join(tb, job["job"], "events.out.tfevents.*"))
    if len(files) != 1:
        fail("%s: %d event files" % (job["job"], len(files)))
    plugin, scalars, curve = hparams_values(events(files[0]))
    start = plugin.get("_hparams_/session_start_info")
    end = plugin.get("_hparams_/session_end_info")
    if start is None or end is None:
        fail("%s: no session start or end" % job["job"])
    info = start.session_start_info
    if info.group_name != job["job"] or sorted(info.hparams.keys()) != sorted(params):
        fail("%s: session start %s" % (job["job"], info))
    ok = job["status"] == "ok"
    want = api_pb2.Status.Value("STATUS_SUCCESS" if ok else "STATUS_FAILURE")
    if end.session_end_info.status != want:
        fail("%s: status %d, expected %d" % (job["job"], end.session_end_info.status, want))
    if ok and not math.isclose(scalars.get("score", float("nan")), job["score"], rel_tol=1e-6):
        fail("%s: score %s, expected %s" % (job["job"], scalars.get("score"), job["score"]))
    # the trainer's reports, score * epoch / 3 at epochs 1..3; a failed job made none
    want_curve = [(e, job["score"] * e / 3) for e in (1, 2, 3)] if ok else []
    if len(curve) != len(want_curve) or job.get("reports", 0) != len(want_curve) or any(
            s != ws or not math.isclose(v, wv, rel_tol=1e-6)
            for (s, v, _), (ws, wv) in zip(curve, want_curve)):
        fail("%s: progress %s, expected %s" % (job["job"], curve, want_curve))
    # each point at its report's time: the trainer's (t0 + epoch), or, for epoch 2, which
    # said none, when it was read: during the run
    for s, _, wall in curve:
        if (s == 2 and not run_began <= wall <= time.time()) or (
                s != 2 and wall != trainer_t0 + s):
            fail("%s: step %d drawn at time %r" % (job["job"], s, wall))
    shown = {k: (v.number_value if v.HasField("number_value") else v.string_value)
             for k, v in info.hparams.items()}
    print("%s %s score=%s progress=%d %s" % (job["job"], job["status"], scalars.get("score"),
                                             len(curve), json.dumps(shown, sort_keys=True)))
print("ok: %d sessions, %d params, CRCs and framing checked" % (len(stats["jobs"]), len(params)))
