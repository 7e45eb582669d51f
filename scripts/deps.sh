#!/usr/bin/env bash
# Install what building and testing libmmarml needs, from Debian 12's archive, if missing.
# Needs root (apt-get). Quiet when everything is already there.
set -euo pipefail
packages=(build-essential g++ autoconf automake autoconf-archive libtool pkg-config
          libjansson-dev check valgrind)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
