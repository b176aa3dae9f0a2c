#!/usr/bin/env bash
# The whole test suite in one command: set up with the development tools (tools/setup.sh dev), then run every
# notebook in nbs/ with nbdev_test (the notebooks are the tests). Extra arguments go to nbdev_test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh dev
# nbdev_test runs notebooks in parallel, one per core; a multi-threaded BLAS in each would fight over the same cores
# (measured: one MNIST training step went from ~3 ms to 38-82 ms). One BLAS thread per notebook, unless set already.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
n=$(find nbs -name '[0-9]*.ipynb' -o -name index.ipynb | grep -v '/_' | wc -l)
if .venv/bin/nbdev_test --timing "$@"; then
  echo "nbdev_test: $n passed, 0 failed"
else
  echo "nbdev_test: some of $n notebooks failed (see above)"; exit 1
fi
