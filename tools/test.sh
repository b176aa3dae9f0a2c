#!/usr/bin/env bash
# The whole test suite in one command: set up with the development tools (tools/setup.sh dev), then run every
# notebook in nbs/ with nbdev_test (the notebooks are the tests). Extra arguments go to nbdev_test.
# It changes no tracked file: figures go to a temporary folder (regenerate the book's own with tools/figures.sh).
#
# The full MNIST (60,000 training images, 4 files, 11 MB) is needed by the cells marked `#| full_mnist` (chapters 9,
# 10 and 18). They run when `find_mnist()` finds the files: in $AUTOGRAD_DATA/mnist, else ~/.cache/autograd/mnist; when
# AUTOGRAD_DATA is not set and the book's copy is beside the clone (../shared/data/mnist, as on CI), that copy is used.
# Otherwise they are skipped, and this script says so; with AUTOGRAD_REQUIRE_FULL_MNIST=1 (CI) it fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh dev
# nbdev_test runs notebooks in parallel, one per core; a multi-threaded BLAS in each would fight over the same cores
# (measured: one MNIST training step went from ~3 ms to 38-82 ms). One BLAS thread per notebook, unless set already.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
if [ -z "${AUTOGRAD_DATA:-}" ] && [ -d ../shared/data/mnist ]; then AUTOGRAD_DATA="$(cd ../shared/data && pwd)"; export AUTOGRAD_DATA; fi

n=$(find nbs -name '[0-9]*.ipynb' -o -name index.ipynb | grep -v '/_' | wc -l)
# How many cells are marked `#| full_mnist`, and where: "N cells (in 09_data: a, 10_mnist: b, ...)"
marked=$(.venv/bin/python - <<'PY'
import json, pathlib
counts = {p.stem: sum(any(l.strip().replace(' ', '') == '#|full_mnist' for l in ''.join(c['source']).splitlines())
                      for c in json.loads(p.read_text())['cells'] if c['cell_type'] == 'code') for p in sorted(pathlib.Path('nbs').glob('*.ipynb'))}
print(f"{sum(counts.values())} cells (in {', '.join(f'{k}: {v}' for k, v in counts.items() if v)})")
PY
)
cache=$(.venv/bin/python -c 'from autograd.data import mnist_cache_dir; print(mnist_cache_dir())')
args=("$@") skipped=""
if .venv/bin/python -c 'import sys; from autograd.data import find_mnist; sys.exit(find_mnist() is None)'; then
  echo "test: the full MNIST is in $cache: running the $marked marked #| full_mnist"
  # add full_mnist to the flags nbdev_test runs (to a --flags given on the command line, if any)
  found=0
  for i in "${!args[@]}"; do
    if [ "${args[$i]}" = --flags ] && [ $((i + 1)) -lt ${#args[@]} ]; then args[$((i + 1))]="${args[$((i + 1))]} full_mnist"; found=1; fi
  done
  [ $found = 1 ] || args+=(--flags full_mnist)
elif [ "${AUTOGRAD_REQUIRE_FULL_MNIST:-}" = 1 ]; then
  echo "test: AUTOGRAD_REQUIRE_FULL_MNIST=1, but the full MNIST is not in $cache: the $marked marked #| full_mnist would be skipped"
  exit 1
else
  skipped="test: SKIPPED the $marked marked #| full_mnist: the full MNIST is not in $cache. To run them, download it once (11 MB): .venv/bin/python -c 'from autograd.data import download_mnist; download_mnist()', or set AUTOGRAD_DATA=DIR with the four .gz files in DIR/mnist"
  echo "$skipped"
fi

if .venv/bin/nbdev_test --timing ${args[@]+"${args[@]}"}; then
  [ -z "$skipped" ] || echo "$skipped"
  echo "nbdev_test: $n passed, 0 failed"
else
  [ -z "$skipped" ] || echo "$skipped"
  echo "nbdev_test: some of $n notebooks failed (see above)"; exit 1
fi
