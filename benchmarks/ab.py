"""A/B: the tensor engine at a git revision against the working tree (or another revision), in one run.

Usage: python benchmarks/ab.py REV [REV_B] [--rounds N] [--batches 32,128,512] [--threads 1] [--clock cpu|wall] [--json out.json]

Each side runs in a worker process of its own that imports `autograd` from its own tree (REV is checked out with
`git worktree add --detach` into a temporary folder, removed at the end; without REV_B the other side is this
working tree, so export the notebooks first). Both workers time the same two steps, defined here (in
`tensor.py`), so only the engine differs:
  ours   one SGD step of the MNIST MLP 784-256-256-10 (float32, `cross_entropy`) built with that tree's engine;
  numpy  the same step written by hand in NumPy (`tensor.NumpyMLP`), the yardstick each process measures too.
The parent asks for one block (about 30 ms of steps) at a time, side by side and system by system, in an order
that rotates from round to round; a process is idle while the other runs, and each BLAS has one thread
(threadpoolctl) unless --threads says otherwise. Per round it takes the ratio ours/numpy within each process and
the ratio of the two sides' ours times; it reports the median over rounds and the interquartile range relative to
the median (the noise of a shared machine). The fixed cost is the same step for an MLP 8-8-8-4 at batch 1."""
import json, shutil, subprocess, sys, tempfile, time
import numpy as np
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, WorkerProcess, serve_worker, summary, paired_ratio, loadavg, blas_info, json_arg, write_json
from tensor import make_ours, make_numpy, _limit_threads, SIZES

TINY = (8, 8, 8, 4)

def ab_worker(threads, root, clock):
    "Serve timed blocks of our step and the NumPy step, importing `autograd` from the tree at `root`, timed by `clock` ('cpu' or 'wall')."
    sys.path.insert(0, root)  # before anything imports autograd: this tree's package, not the one beside this script
    import autograd
    where = Path(autograd.__file__).resolve()
    if not where.is_relative_to(Path(root).resolve()): raise SystemExit(f'ab worker: imported {where}, not from {root}')
    _limit_threads(threads)
    # Measured here (OpenBLAS, one thread): every product and elementwise pass of a process ran about 2x slower until
    # its first large product (a 1024x1024 one, or the (256, 784) weight gradient that the (out, in) layout computes),
    # and 8295635's engine never makes one. `tensor.py` makes one at start (its FLOP-rate sample); so does each side
    # here, so that both processes time their steps in the same state.
    a = np.ones((1024, 1024), np.float32); a @ a
    def make_step(key):  # 'ours,32,784,256,256,10'
        system, B, *sizes = key.split(',')
        return dict(ours=make_ours, numpy=make_numpy)[system](int(B), sizes=tuple(map(int, sizes)))
    serve_worker(lambda: dict(autograd=str(where.parent), blas=blas_info()), make_step,
                 clock=time.thread_time if clock == 'cpu' else time.perf_counter)

class Side:
    "One side of the comparison: a worker process importing the engine of one tree."
    def __init__(self, name, root, threads, clock):
        self.name, self.root = name, root
        self.w = WorkerProcess(__file__, threads, flag='--ab-worker', args=[root, clock])
    def block(self, system, B, sizes, n):
        "Seconds per step over a block of `n` steps (the worker times itself)."
        return float(self.w._ask(f"run {system},{B},{','.join(map(str, sizes))} {n}")) / n
    def setup(self, system, B, sizes): self.w._ask(f"setup {system},{B},{','.join(map(str, sizes))}")
    def close(self): self.w.p.stdin.close(); self.w.p.wait()

def checkout(rev, into):
    "A detached worktree of `rev` in folder `into`; returns its commit and path."
    sha = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--verify', f'{rev}^{{commit}}'], capture_output=True,
                         text=True, check=True).stdout.strip()
    path = Path(into) / sha[:10]
    subprocess.run(['git', '-C', str(ROOT), 'worktree', 'add', '--detach', '--quiet', str(path), sha], check=True)
    return sha, path

def compare(sides, B, sizes, rounds, target_s=0.03):
    "Interleaved blocks of both systems on both sides; returns the per-round times and ratios."
    keys = [(s, system) for s in sides for system in ('ours', 'numpy')]
    for s, system in keys: s.setup(system, B, sizes)
    for s, system in keys: s.block(system, B, sizes, 5)  # warm-up
    n = max(2, int(target_s / sides[0].block('numpy', B, sizes, 5)))
    times = {k: [] for k in keys}
    for r in range(rounds):
        order = keys[r % len(keys):] + keys[:r % len(keys)]  # rotate who goes first ...
        if r % 2: order = order[::-1]                         # ... and alternate the direction
        for k in order: times[k].append(k[0].block(k[1], B, sizes, n))
    a, b = sides
    out = dict(number=n, times={f'{s.name}.{m}': summary(v) for (s, m), v in times.items()},
               ours_over_numpy={s.name: paired_ratio(times[(s, 'ours')], times[(s, 'numpy')]) for s in sides},
               b_over_a_ours=paired_ratio(times[(b, 'ours')], times[(a, 'ours')]),
               b_over_a_numpy=paired_ratio(times[(b, 'numpy')], times[(a, 'numpy')]))
    out['b_over_a_normalised'] = summary([x / y for x, y in zip(
        [o / n_ for o, n_ in zip(times[(b, 'ours')], times[(b, 'numpy')])],
        [o / n_ for o, n_ in zip(times[(a, 'ours')], times[(a, 'numpy')])])])
    return out

def main(rev_a, rev_b=None, rounds=21, batches=(32, 128, 512), threads=1, clock='cpu'):
    "Run the comparison and print one line per workload; return the results as a dict."
    tmp = tempfile.mkdtemp(prefix='ab-')
    made, sides = [], []
    try:
        sha_a, path_a = checkout(rev_a, tmp); made.append(path_a)
        if rev_b is None: sha_b, path_b = 'working tree', ROOT
        else: (sha_b, path_b) = checkout(rev_b, tmp); made.append(path_b)
        sides = [Side('A', str(path_a), threads, clock), Side('B', str(path_b), threads, clock)]
        res = dict(A=dict(rev=rev_a, commit=sha_a), B=dict(rev=rev_b or 'working tree', commit=sha_b), threads=threads, clock=clock,
                   rounds=rounds, loadavg_start=loadavg(), blas=sides[0].w.info['blas'], results={})
        print(f"A = {rev_a} ({sha_a[:10]}), B = {res['B']['rev']}; {threads} BLAS thread(s), {rounds} rounds; "
              f"load average {res['loadavg_start']}")
        print(f"{'workload':<22} {'A ours/numpy':>14} {'B ours/numpy':>14} {'B/A ours':>12} {'B/A numpy':>12} {'A ours':>9} {'B ours':>9}")
        work = [(f'batch {B}', B, SIZES) for B in batches] + [('fixed cost (8-8-8-4, 1)', 1, TINY)]
        for name, B, sizes in work:
            r = compare(sides, B, sizes, rounds)
            r['loadavg'] = loadavg()
            res['results'][name] = r
            q = lambda s: f"{s['median']:.3f} ±{s['iqr_rel']:3.0%}"
            t = lambda k: (f"{r['times'][k]['median']*1e6:.0f} µs" if B == 1 else f"{r['times'][k]['median']*1e3:.2f} ms")
            print(f"{name:<22} {q(r['ours_over_numpy']['A']):>14} {q(r['ours_over_numpy']['B']):>14} "
                  f"{q(r['b_over_a_ours']):>12} {q(r['b_over_a_numpy']):>12} {t('A.ours'):>9} {t('B.ours'):>9}", flush=True)
        res['loadavg_end'] = loadavg()
        print(f"load average at the end {res['loadavg_end']}; ratios: median over rounds of the ratio within a round, "
              "± the interquartile range relative to it")
        return res
    finally:
        for s in sides: s.close()
        for p in made: subprocess.run(['git', '-C', str(ROOT), 'worktree', 'remove', '--force', str(p)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__':
    args = sys.argv[1:]
    if args and args[0] == '--ab-worker': ab_worker(int(args[1]), args[2], args[3])
    else:
        opt = lambda k, d: args[args.index(k) + 1] if k in args else d
        revs = [a for i, a in enumerate(args) if not a.startswith('--') and (i == 0 or not args[i - 1].startswith('--'))]
        if not 1 <= len(revs) <= 2: raise SystemExit(__doc__.split('\n\n')[1])
        out = main(*revs, rounds=int(opt('--rounds', 21)), threads=int(opt('--threads', 1)), clock=opt('--clock', 'cpu'),
                   batches=tuple(int(b) for b in opt('--batches', '32,128,512').split(',')))
        if (p := json_arg()): write_json(out, p)
