"""A/B: the tensor engine at a git revision against the working tree (or another revision), in one run.

Usage: python benchmarks/ab.py REV [REV_B] [--pairs 3] [--rounds 21] [--batches 32,128,512] [--threads 1] [--clock cpu|wall]
                               [--json out.json]

Each side's `autograd` package is copied into a temporary folder (`git archive` of REV; without REV_B the other side
is this working tree's package, so export the notebooks first), both at paths of the same length, and runs in a
worker process of its own that imports it. Both workers time the same two steps, defined in `tensor.py`, so only the
engine differs:
  ours   one SGD step of the MNIST MLP 784-256-256-10 (float32, `cross_entropy`) built with that side's engine;
  numpy  the same step written by hand in NumPy (`tensor.NumpyMLP`), the yardstick each process measures too.
The parent asks for one block (about 30 ms of steps) at a time, side by side and system by system, in an order that
rotates from round to round; a process is idle while the other runs, and each BLAS has one thread (threadpoolctl)
unless --threads says otherwise. Per round it takes the ratio ours/numpy within each process and the ratio of the two
sides' times. This is repeated with --pairs fresh pairs of processes, since a process's own state (its memory layout)
shifts its times by a few percent. It reports medians over all rounds and the interquartile range relative to the
median (the noise of a shared machine). The fixed cost is the same step for an MLP 8-8-8-4 at batch 1.

Times are the worker's CPU time (`--clock cpu`, time.thread_time) by default: on a machine shared with other programs
the wall-clock time of a block also counts the time the process waited for a core. On a quiet machine both agree."""
import json, shutil, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, WorkerProcess, limit_threads, serve_worker, summary, paired_ratio, loadavg, blas_info, json_arg, write_json
from tensor import make_ours, make_numpy, SIZES

TINY = (8, 8, 8, 4)

def ab_worker(threads, root, clock):
    "Serve timed blocks of our step and the NumPy step, importing `autograd` from the tree at `root`, timed by `clock` ('cpu' or 'wall')."
    sys.path.insert(0, root)  # before anything imports autograd: this tree's package, not the one beside this script
    import autograd
    where = Path(autograd.__file__).resolve()
    if not where.is_relative_to(Path(root).resolve()): raise SystemExit(f'ab worker: imported {where}, not from {root}')
    limit_threads(threads)  # and warms numpy's BLAS up (see `_common.warm_blas`): both sides time their steps in the same state
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

def materialise(rev, into):
    "The `autograd` package of git revision `rev` (None: this working tree) copied into folder `into`; returns its commit."
    into.mkdir(parents=True)
    if rev is None:
        shutil.copytree(ROOT / 'autograd', into / 'autograd', ignore=shutil.ignore_patterns('__pycache__'))
        return 'working tree'
    sha = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--verify', f'{rev}^{{commit}}'], capture_output=True,
                         text=True, check=True).stdout.strip()
    archive = subprocess.run(['git', '-C', str(ROOT), 'archive', sha, 'autograd'], capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(into)], input=archive, check=True)
    return sha

def rounds_of(sides, B, sizes, rounds, target_s=0.03):
    "Interleaved blocks of both systems on both sides: (side, system) -> seconds per step, one per round."
    keys = [(s, system) for s in sides for system in ('ours', 'numpy')]
    for s, system in keys: s.setup(system, B, sizes)
    for s, system in keys: s.block(system, B, sizes, 5)  # warm-up
    n = max(2, int(target_s / sides[0].block('numpy', B, sizes, 5)))
    times = {(s.name, m): [] for s, m in keys}
    for r in range(rounds):
        order = keys[r % len(keys):] + keys[:r % len(keys)]  # rotate who goes first ...
        if r % 2: order = order[::-1]                         # ... and alternate the direction
        for s, m in order: times[(s.name, m)].append(s.block(m, B, sizes, n))
    return times

def summarise(times):
    "The numbers reported for one workload, from the per-round times of every process pair."
    t = lambda k: times[k]
    ratio = lambda side: [o / n for o, n in zip(t((side, 'ours')), t((side, 'numpy')))]
    return dict(times={f'{s}.{m}': summary(v) for (s, m), v in times.items()},
                ours_over_numpy={s: summary(ratio(s)) for s in 'AB'},
                b_over_a_ours=paired_ratio(t(('B', 'ours')), t(('A', 'ours'))),
                b_over_a_numpy=paired_ratio(t(('B', 'numpy')), t(('A', 'numpy'))),
                b_over_a_normalised=summary([b / a for a, b in zip(ratio('A'), ratio('B'))]))

def main(rev_a, rev_b=None, rounds=21, batches=(32, 128, 512), threads=1, clock='cpu', pairs=3):
    "Run the comparison with `pairs` fresh pairs of worker processes; print one line per workload; return the results as a dict."
    tmp, sides = Path(tempfile.mkdtemp(prefix='ab-')), []
    try:
        # both sides are copies in folders whose paths have the same length: measured here, the same engine run from
        # this checkout and from a copy elsewhere differed by a few percent (a process's memory layout depends on such
        # things), which would have been read as a difference between the engines
        path_a, path_b = tmp / 'a', tmp / 'b'
        sha_a, sha_b = materialise(rev_a, path_a), materialise(rev_b, path_b)
        work = [(f'batch {B}', B, SIZES) for B in batches] + [('fixed cost (8-8-8-4, 1)', 1, TINY)]
        res = dict(A=dict(rev=rev_a, commit=sha_a), B=dict(rev=rev_b or 'working tree', commit=sha_b), threads=threads,
                   clock=clock, rounds=rounds, pairs=pairs, loadavg_start=loadavg(), per_pair={}, results={})
        print(f"A = {rev_a} ({sha_a[:10]}), B = {res['B']['rev']}; {threads} BLAS thread(s), {clock} time, "
              f"{pairs} pairs of worker processes x {rounds} rounds; load average {res['loadavg_start']}")
        times = {name: {} for name, _, _ in work}
        for k in range(pairs):  # fresh processes: a process's own state (its heap, say) is sampled too, not just one
            roots = [('A', str(path_a)), ('B', str(path_b))]
            sides = [Side(name, root, threads, clock) for name, root in (roots if k % 2 == 0 else roots[::-1])]
            sides.sort(key=lambda s: s.name)
            res.setdefault('blas', sides[0].w.info['blas'])
            for name, B, sizes in work:
                for key, v in rounds_of(sides, B, sizes, rounds).items(): times[name].setdefault(key, []).extend(v)
                r = summarise({key: v[-rounds:] for key, v in times[name].items()})
                res['per_pair'].setdefault(name, []).append({s: r['ours_over_numpy'][s]['median'] for s in 'AB'})
            for s in sides: s.close()
            sides = []
            print(f"  pair {k + 1}: " + '; '.join(f"{name}: A {v[-1]['A']:.3f} B {v[-1]['B']:.3f}" for name, v in res['per_pair'].items()),
                  flush=True)
        print(f"{'workload':<24} {'A ours/numpy':>14} {'B ours/numpy':>14} {'B/A ours':>12} {'B/A numpy':>12} {'A ours':>9} {'B ours':>9}")
        for name, B, sizes in work:
            r = res['results'][name] = summarise(times[name])
            q = lambda s: f"{s['median']:.3f} ±{s['iqr_rel']:3.0%}"
            t = lambda k: (f"{r['times'][k]['median']*1e6:.0f} µs" if B == 1 else f"{r['times'][k]['median']*1e3:.2f} ms")
            print(f"{name:<24} {q(r['ours_over_numpy']['A']):>14} {q(r['ours_over_numpy']['B']):>14} "
                  f"{q(r['b_over_a_ours']):>12} {q(r['b_over_a_numpy']):>12} {t('A.ours'):>9} {t('B.ours'):>9}")
        res['loadavg_end'] = loadavg()
        print(f"load average at the end {res['loadavg_end']}; ratios: median over all rounds of the ratio within a round, "
              "± the interquartile range relative to it")
        return res
    finally:
        for s in sides: s.close()
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__':
    args = sys.argv[1:]
    if args and args[0] == '--ab-worker': ab_worker(int(args[1]), args[2], args[3])
    else:
        opt = lambda k, d: args[args.index(k) + 1] if k in args else d
        revs = [a for i, a in enumerate(args) if not a.startswith('--') and (i == 0 or not args[i - 1].startswith('--'))]
        if not 1 <= len(revs) <= 2: raise SystemExit(__doc__.split('\n\n')[1])
        out = main(*revs, rounds=int(opt('--rounds', 21)), threads=int(opt('--threads', 1)), clock=opt('--clock', 'cpu'),
                   pairs=int(opt('--pairs', 3)),
                   batches=tuple(int(b) for b in opt('--batches', '32,128,512').split(',')))
        if (p := json_arg()): write_json(out, p)
