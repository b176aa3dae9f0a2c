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
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = dev ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "setup: .venv is ready ($(.venv/bin/python --version))"
