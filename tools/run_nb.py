"""Run notebooks top to bottom and save their outputs, without a Jupyter server (the docs show saved outputs).

Usage: python tools/run_nb.py nbs/01_scalar_engine.ipynb [more notebooks...]

Each notebook runs with `nbs/` as its working directory, as under `nbdev_test`, skipping `#| eval: false` cells;
the first failing cell stops the run and nothing is written. The package must be importable (`pip install -e .`).
Progress bars write carriage returns; stream outputs are saved as a terminal would show them (the text after the
last carriage return of each line). Run `nbdev_clean` afterwards.

The saved outputs are the pages readers see, so the figures are written where the pages show them: AUTOGRAD_FIGURES
is set to the repository's images/ (unless set already), and `book_figure` (chapter 4) writes there. Cells marked
`#| full_mnist` need the full MNIST, found as tools/test.sh finds it (`find_mnist()`; the copy in ../shared/data
when AUTOGRAD_DATA is not set): without it a notebook holding such cells is refused before anything runs."""
import os, re, sys
from pathlib import Path
# One BLAS thread, as tools/test.sh runs the suite: results (and figures) then match what the tests compute.
for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(_v, '1')
ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('AUTOGRAD_FIGURES', str(ROOT/'images'))
if not os.environ.get('AUTOGRAD_DATA') and (ROOT.parent/'shared'/'data'/'mnist').is_dir():
    os.environ['AUTOGRAD_DATA'] = str(ROOT.parent/'shared'/'data')
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

def _as_terminal(text):
    "Collapse carriage-return updates the way a terminal does: keep what follows the last `\\r` of each line."
    return '\n'.join(line.rsplit('\r', 1)[-1] for line in re.split(r'\r?\n', text))

def _skip(cell):
    "Cells nbdev_test never runs: `#| eval: false`."
    return cell.cell_type == 'code' and any(l.replace(' ', '') == '#|eval:false' for l in cell.source.splitlines())

def _needs_full_mnist(cell):
    "Cells marked `#| full_mnist`."
    return cell.cell_type == 'code' and any(l.replace(' ', '') == '#|full_mnist' for l in cell.source.splitlines())

def run(path):
    path = Path(path).resolve()
    nb = read_nb(path)
    if any(_needs_full_mnist(c) for c in nb.cells):
        from autograd.data import find_mnist, mnist_cache_dir
        if find_mnist() is None:
            sys.exit(f'{path.name} has cells marked #| full_mnist, and the full MNIST is not in {mnist_cache_dir()}: '
                     "download it once (python -c 'from autograd.data import download_mnist; download_mnist()') "
                     'or set AUTOGRAD_DATA=DIR with the four .gz files in DIR/mnist')
    for cell in nb.cells:  # execnb keeps a cell's old outputs when it now prints nothing: start every cell that runs empty
        if cell.cell_type == 'code' and not _skip(cell): cell.outputs = []
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
