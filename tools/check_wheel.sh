#!/usr/bin/env bash
# Builds the wheel and installs it in a fresh virtual environment outside the clone, then imports every module and
# loads the bundled MNIST subset there: what a `pip install` user gets, with nothing borrowed from the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rm -rf build  # a stale build/ folder would slip old files into the wheel
python3 -m pip wheel -q --no-deps -w "$tmp/dist" .
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q "$tmp"/dist/*.whl
cd "$tmp"
"$tmp/venv/bin/python" - <<'PY'
import importlib, pkgutil, autograd
mods = sorted(m.name for m in pkgutil.walk_packages(autograd.__path__, 'autograd.'))
for m in mods: importlib.import_module(m)
print('wheel: imported', ', '.join(mods))
from autograd.data import load_mnist
(X, y), (Xt, yt) = load_mnist()
print(f'wheel: bundled MNIST subset loads offline: images {X.shape} and {Xt.shape} {X.dtype}, labels {yt.dtype}')
PY
"$tmp/venv/bin/autograd" --help >/dev/null && echo "wheel: the autograd console command runs"
