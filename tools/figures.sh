#!/usr/bin/env bash
# Regenerate the book's own figures in images/, on purpose: runs the chapters that write them with tools/run_nb.py
# (which sets AUTOGRAD_FIGURES to images/ and saves the notebooks' outputs, so pages and figures come from one run),
# then nbdev_clean. The tests and the demo never write there. Chapters 9 and 10 need the full MNIST (see tools/test.sh).
# Usage: bash tools/figures.sh                       # every chapter that writes a figure
#        bash tools/figures.sh nbs/10_mnist.ipynb    # only these
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/nbdev_clean ] || bash tools/setup.sh dev
# the chapters whose figures are in images/ (benchmarks/run_all.py writes images/tensor_step_time.png)
[ $# -gt 0 ] || set -- nbs/03_scalar_graphic.ipynb nbs/04_moons.ipynb nbs/05_tensor_engine.ipynb nbs/08_tensor_optim.ipynb \
                      nbs/09_data.ipynb nbs/10_mnist.ipynb
.venv/bin/python tools/run_nb.py "$@"
.venv/bin/nbdev_clean
git status --short images/
