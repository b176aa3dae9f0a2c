#!/usr/bin/env bash
# The whole test suite in one command: set up with the development tools (tools/setup.sh dev), then run every
# notebook in nbs/ with nbdev_test (the notebooks are the tests). Extra arguments go to nbdev_test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh dev
n=$(find nbs -name '[0-9]*.ipynb' -o -name index.ipynb | grep -v '/_' | wc -l)
if .venv/bin/nbdev_test --timing "$@"; then
  echo "nbdev_test: $n passed, 0 failed"
else
  echo "nbdev_test: some of $n notebooks failed (see above)"; exit 1
fi
