#!/usr/bin/env bash
# Install what building and testing libmmarml needs, from Debian 12's archive, if missing.
# Needs root (apt-get). Quiet when everything is already there.
# With --slurm, also what the live Slurm test and bench/slurm need: a single-node Slurm
# (slurmctld, slurmd, slurm-client, munge) and jq for the test's JSON checks. With --crash,
# what the crash tests need: python3 (their independent journal reader and sampler). With
# --tensorboard, what the optional MMARTensorboardHandler and its test need. With --abi, what
# the ABI gate needs (make abi-check, tests/abi-gate.sh: libabigail's abidw and abidiff). With
# --doc, Doxygen for the reference (make doc; make check and distcheck build it when found).
# With --browser, Chromium for tests/report-browser.sh (mmarml report in a real browser).
# With --python-debug, Debian's debug interpreter (make check-valgrind runs the Python tests
# under it).
set -euo pipefail
# python3: the tests run Clara's own round script, which runs `python3 -m medl.apps.train`
# (a stand-in for it, tests/data/clara-medl); the library never needs it
# python3-dev: the optional Python package (python/mmarml) and its tests
packages=(build-essential g++ autoconf automake autoconf-archive libtool pkg-config
          libjansson-dev check valgrind python3 python3-dev)
if [ "${1:-}" = --slurm ]; then
    packages=(slurmctld slurmd slurm-client munge jq)
elif [ "${1:-}" = --crash ]; then
    packages=(python3)
elif [ "${1:-}" = --python-debug ]; then
    packages=(python3.11-dbg)
elif [ "${1:-}" = --browser ]; then
    packages=(chromium)
elif [ "${1:-}" = --doc ]; then
    packages=(doxygen)
elif [ "${1:-}" = --abi ]; then
    packages=(abigail-tools)
elif [ "${1:-}" = --tensorboard ]; then
    # MMARTensorboardHandler's module (protobuf-c) and its test's independent reader
    packages=(libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev protobuf-compiler
              python3-protobuf)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # DPkg lock timeout: another apt-get may still hold the lock on a fresh machine
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi
