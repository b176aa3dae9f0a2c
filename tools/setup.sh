#!/usr/bin/env bash
# Sets up this clone on a Debian/Ubuntu machine with Python 3.10+:
#   1. the system Graphviz package, whose `dot` program renders the computational-graph drawings to images
#      (the Python `graphviz` package builds graphs without it, but cannot render them);
#   2. a virtual environment in .venv holding the package, installed in editable mode.
# Usage: bash tools/setup.sh        # the package and what the demos need
#        bash tools/setup.sh dev    # plus the development tools (nbdev 2, jupyter, hypothesis, micrograd)
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# apt-get, waiting (up to APT_LOCK_WAIT seconds, default 300) while another apt or dpkg holds its lock, as the
# automatic updates of a fresh machine often do; other failures stop at once, with apt's own message.
apt_wait=${APT_LOCK_WAIT:-300}
apt() {
  local start=$SECONDS out
  while true; do
    if out=$(DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=10 "$@" 2>&1); then return 0; fi
    if ! grep -qiE 'could not get lock|unable to acquire|lock.*(held|temporarily unavailable)' <<<"$out"; then
      echo "$out" >&2; echo "setup: apt-get $* failed (see above)" >&2; return 1
    fi
    if [ $((SECONDS - start)) -ge "$apt_wait" ]; then
      echo "setup: another apt or dpkg process has held the package lock for ${apt_wait} s; wait for it to finish" \
           "(see: ps aux | grep -E 'apt|dpkg'), then run this script again" >&2
      return 1
    fi
    echo "setup: waiting for another apt or dpkg process to release the package lock..."
    sleep 5
  done
}
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  apt update -qq
  apt install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = dev ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "setup: .venv is ready ($(.venv/bin/python --version))"
