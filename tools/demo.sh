#!/usr/bin/env bash
# The main job in one command: set up (tools/setup.sh), then train both demos from the installed package.
# Figures go to ./autograd-figures (ignored by git: the book's own images/ are left alone); pass other options
# through the `autograd` command itself, e.g. `autograd mnist --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
.venv/bin/autograd moons
.venv/bin/autograd mnist
echo "demo: figures written to $(pwd)/autograd-figures"
