#!/usr/bin/env bash
# The main job in one command: set up (tools/setup.sh), then train both demos from the installed package.
# Figures go to images/; pass other options through the `autograd` command itself, e.g. `autograd moons --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
.venv/bin/autograd moons --out images
if .venv/bin/autograd --help | grep -q mnist; then .venv/bin/autograd mnist --out images; fi
