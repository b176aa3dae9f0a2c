"""Run notebooks top to bottom and save their outputs, without a Jupyter server (the docs show saved outputs).

Usage: python tools/run_nb.py nbs/01_scalar_engine.ipynb [more notebooks...]

Each notebook runs with `nbs/` as its working directory, as under `nbdev_test`, skipping `#| eval: false` cells;
the first failing cell stops the run and nothing is written. The package must be importable (`pip install -e .`).
Progress bars write carriage returns; stream outputs are saved as a terminal would show them (the text after the
last carriage return of each line). Run `nbdev_clean` afterwards."""
import os, re, sys
from pathlib import Path
# One BLAS thread, as tools/test.sh runs the suite: results (and figures) then match what the tests compute.
for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(_v, '1')
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

def _as_terminal(text):
    "Collapse carriage-return updates the way a terminal does: keep what follows the last `\\r` of each line."
    return '\n'.join(line.rsplit('\r', 1)[-1] for line in re.split(r'\r?\n', text))

def _skip(cell):
    "Cells nbdev_test never runs: `#| eval: false`."
    return cell.cell_type == 'code' and any(l.replace(' ', '') == '#|eval:false' for l in cell.source.splitlines())

def run(path):
    path = Path(path).resolve()
    nb = read_nb(path)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try: CaptureShell(path.parent).run_all(nb, exc_stop=True, preproc=_skip)
    finally: os.chdir(cwd)
    for cell in nb.cells:
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'stream':
                out['text'] = _as_terminal(''.join(out['text'])).splitlines(keepends=True)
    write_nb(nb, path)
    print(f'ran and saved {path.name}')

if __name__ == '__main__':
    if len(sys.argv) < 2: sys.exit(__doc__)
    for p in sys.argv[1:]: run(p)
