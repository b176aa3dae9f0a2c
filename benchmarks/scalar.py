"""Scalar engine (autograd.scalar) against micrograd 0.1.0 on identical workloads, interleaved in one process.

Usage: python benchmarks/scalar.py [--quick] [--json out.json]

Workloads (the same code drives both engines; only `Value` and `MLP` come from each library):
  (a) one full-batch training step of micrograd's demo: MLP(2, [16, 16, 1]), hinge loss mean(relu(1 - y*score))
      plus 1e-4 * sum(p*p), on 100 two-moons points (make_moons(100, noise=0.1), labels -1/+1), SGD update;
  (b) the same step for the wider 2-32-16 network. The book's demo uses 2-32-16-2 with softmax cross-entropy, but
      micrograd 0.1.0's Value has only + * ** relu (no exp, no log), so the shared workload is 2-32-16-1 with the
      hinge loss; our 2-32-16-2 cross-entropy step is timed on its own for reference (no micrograd column);
  (c) forward and backward through a chain of 100,000 multiplications. micrograd's recursive topological sort hits
      Python's recursion limit: the script shows the RecursionError, then tries micrograd again in a child
      process with the limit raised.
Timing: each block is `number` steps followed by a full gc.collect() inside the timed region (so each engine pays
for reclaiming its own garbage), blocks of the two engines alternate, and we report the median over blocks; the
speed-up is the median over rounds of the ratio within a round. ± is the interquartile range relative to the median. The
heap is frozen (gc.freeze) after setup, so collections scan only what the steps create: this flatters micrograd
compared with a notebook, where every collection also walks numpy's, sklearn's and matplotlib's objects."""
import gc, random, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (interleaved, summary, paired_ratio, fmt_time, machine_info, print_machine, wait_for, json_arg, write_json,
                     gc_share, top_functions)

def moons(n=100, seed=1):
    "Two-moons points as Python floats and labels as -1/+1 ints."
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=n, noise=0.1, random_state=seed)
    return X.tolist(), (2 * y - 1).tolist()

def hinge_step(model, Value, X, y, lr=0.05):
    "One full-batch SGD step of micrograd's demo loss: mean(relu(1 - y*score)) + 1e-4*sum(p*p); returns the loss node."
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    params = model.parameters()
    total = data_loss + 1e-4 * sum(p * p for p in params)
    model.zero_grad()
    total.backward()
    for p in params: p.data -= lr * p.grad
    return total

def ce_step(model, Value, cross_entropy, X, y, lr=0.05):
    "One full-batch SGD step with softmax cross-entropy (our engine only) and the same L2 term."
    targets = [(yi + 1) // 2 for yi in y]
    losses = [cross_entropy(model(list(map(Value, row))), t) for row, t in zip(X, targets)]
    params = model.parameters()
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    model.zero_grad()
    total.backward()
    for p in params: p.data -= lr * p.grad
    return total

def chain(Value, n=100_000, c=1.00001):
    "Forward and backward through y = x * c * c * ... (n multiplications); returns dy/dx."
    x = Value(1.0)
    y = x
    for _ in range(n): y = y * c
    y.backward()
    return x.grad

def count_nodes(root):
    "Nodes in a graph, counted iteratively (works for both engines: each has `_prev`)."
    seen, stack = {id(root)}, [root]
    while stack:
        for ch in stack.pop()._prev:
            if id(ch) not in seen: seen.add(id(ch)); stack.append(ch)
    return len(seen)

def without_gc(step, n=3):
    "Seconds for each of `n` calls of `step` with the cyclic collector switched off (garbage is collected after)."
    ts = []
    for _ in range(n):
        gc.collect(); gc.disable()
        try:
            t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
        finally: gc.enable()
    gc.collect()
    return ts

_MICROGRAD_DEEP = """
import sys, time; sys.setrecursionlimit(1_000_000)
from micrograd.engine import Value
x = Value(1.0); y = x
t0 = time.perf_counter()
for _ in range({n}): y = y * {c}
y.backward()
print(time.perf_counter() - t0, x.grad)
"""

def micrograd_deep_chain(n, c, timeout=120):
    "Run micrograd's chain in a child process with the recursion limit raised; (seconds, grad) or the failure."
    try:
        r = subprocess.run([sys.executable, '-c', _MICROGRAD_DEEP.format(n=n, c=c)], capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired: return dict(ok=False, error=f'timed out after {timeout} s')
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f'exit code {r.returncode}'
        return dict(ok=False, error=err, returncode=r.returncode)
    t, g = r.stdout.split()
    return dict(ok=True, seconds=float(t), grad=float(g))

def main(quick=False):
    "Run the scalar benchmarks, print a report, return the results as a dict."
    import micrograd.engine as mge, micrograd.nn as mgn
    ours_engine, ours_nn = wait_for(['autograd.scalar.engine', 'autograd.scalar.nn'])
    OV, MV = ours_engine.Value, mge.Value
    repeats, number = (3, 1) if quick else (5, 1)
    X, y = moons(100)
    res = dict(machine=machine_info(), settings=dict(repeats=repeats, steps_per_block=number, points=len(X)))
    print_machine(res['machine'])
    print(f'timing: {repeats} alternating blocks of {number} step(s) (+ a full gc.collect) per engine; medians, ± interquartile range\n')

    workloads = {}
    for key, sizes in (('a', [16, 16, 1]), ('b', [32, 16, 1])):
        random.seed(0)
        mg_model, our_model = mgn.MLP(2, sizes), ours_nn.MLP(2, sizes, seed=0)
        fns = {'ours': lambda m=our_model: hinge_step(m, OV, X, y), 'micrograd': lambda m=mg_model: hinge_step(m, MV, X, y)}
        workloads[key] = (f"MLP(2, {sizes}) hinge+L2, {len(X)} points", fns, our_model, mg_model)
    gc.collect(); gc.freeze()

    rows = {}
    for key, (desc, fns, our_model, mg_model) in workloads.items():
        ts = interleaved(fns, repeats=repeats, number=number, warmup=1, collect=True)
        s = {k: summary(v) for k, v in ts.items()}
        pr = paired_ratio(ts['micrograd'], ts['ours'])  # per round, so that load drifting between rounds cancels
        ratio = pr['median']
        rows[key] = dict(workload=desc, ours=s['ours'], micrograd=s['micrograd'], speedup=ratio, speedup_summary=pr,
                         ratio_of_medians=s['micrograd']['median'] / s['ours']['median'],
                         params=len(our_model.parameters()))
        print(f"({key}) {desc}: ours {fmt_time(s['ours']['median'])} ±{s['ours']['iqr_rel']:.0%}, "
              f"micrograd {fmt_time(s['micrograd']['median'])} ±{s['micrograd']['iqr_rel']:.0%} "
              f"-> ours is {ratio:.1f}x ±{pr['iqr_rel']:.0%} faster")

    # our engine alone on the book's 2-32-16-2 cross-entropy network (micrograd has no exp/log)
    ce_model = ours_nn.MLP(2, [32, 16, 2], seed=0)
    ts = interleaved({'ours': lambda: ce_step(ce_model, OV, ours_nn.scalar_cross_entropy, X, y)},
                     repeats=repeats, number=number, collect=True)
    rows['b_ce'] = dict(workload=f'MLP(2, [32, 16, 2]) softmax cross-entropy+L2, {len(X)} points (ours only)',
                        ours=summary(ts['ours']))
    print(f"(b') {rows['b_ce']['workload']}: {fmt_time(rows['b_ce']['ours']['median'])}")
    res['workloads'] = rows

    # where the time goes: the cyclic GC's share, and a profile of one step of workload (a)
    fns_a = workloads['a'][1]
    res['gc_share'] = {k: gc_share(f, steps=2) for k, f in fns_a.items()}
    res['profile_a'] = {k: top_functions(f) for k, f in fns_a.items()}
    res['gc_disabled_a'] = {k: summary(without_gc(f, 3)) for k, f in fns_a.items()}
    print(f"\nshare of (a)'s step time in the cyclic garbage collector (gc.callbacks): "
          + ', '.join(f'{k} {v:.0%}' for k, v in res['gc_share'].items()))
    print('(a) with the collector disabled: ' + ', '.join(f"{k} {fmt_time(v['median'])}"
          for k, v in res['gc_disabled_a'].items()))
    for k, top in res['profile_a'].items():
        print(f'cProfile, one step of (a), {k}: ' + '; '.join(f'{n} {s:.0%}' for n, s in top[:4]))

    # (c) the 100,000-node chain
    n, c = 100_000, 1.00001
    gc.collect()
    try:
        t0 = time.perf_counter(); g = chain(OV, n, c); t_ours = time.perf_counter() - t0
        ok = abs(g - c ** n) <= 1e-9 * c ** n
        share = gc_share(lambda: chain(OV, n, c), steps=1)
        chain_res = dict(n=n, ours_seconds=t_ours, ours_grad_correct=ok, ours_gc_share=share)
        print(f'\n(c) chain of {n:,} multiplications, forward+backward: ours {fmt_time(t_ours)}, '
              f'dx = {g:.6f} (exact {c**n:.6f}: {"ok" if ok else "WRONG"}); {share:.0%} of it in the cyclic collector')
    except RecursionError as e:
        t_ours = None
        chain_res = dict(n=n, ours_seconds=None, ours=f'RecursionError: {e}')
        print(f'\n(c) chain of {n:,} multiplications: ours FAILED with RecursionError: {e}')
    t0 = time.perf_counter()
    try:
        chain(MV, n, c)
        chain_res['micrograd'] = 'completed'
    except RecursionError as e:
        chain_res['micrograd'] = f'RecursionError: {e} (recursion limit {sys.getrecursionlimit()})'
        chain_res['micrograd_seconds_to_error'] = time.perf_counter() - t0
    print(f"    micrograd: {chain_res['micrograd']}")
    deep = micrograd_deep_chain(n, c)
    chain_res['micrograd_raised_limit'] = deep
    msg = '    micrograd with sys.setrecursionlimit(1_000_000), in a child process: '
    if not deep['ok']: print(msg + f"failed ({deep['error']})")
    else:
        msg += fmt_time(deep['seconds'])
        if t_ours:
            chain_res['speedup_raised_limit'] = deep['seconds'] / t_ours
            msg += f" -> ours is {deep['seconds'] / t_ours:.1f}x faster"
        print(msg)
    res['chain'] = chain_res
    gc.unfreeze()
    res['machine']['loadavg_end'] = machine_info()['loadavg']
    return res

if __name__ == '__main__':
    out = main(quick='--quick' in sys.argv)
    if (p := json_arg()): write_json(out, p)
