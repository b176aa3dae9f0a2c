"""Training holds no graph between steps: live objects and resident memory stay flat.

Usage: python benchmarks/memory.py [--quick] [--json out.json]

For our tensor engine (MNIST MLP 784-256-256-10, batch 128) and our scalar engine (micrograd's demo network
MLP(2, [16, 16, 1]) with the hinge loss, on 20 two-moons points) we train for 300 steps and print, at steps 0, 100,
200 and 300 (counted after the step): the number of objects the garbage collector tracks (gc.get_objects()), how
many of them were garbage that only reference cycles kept alive (what gc.collect() then frees), the number of live
engine nodes (Tensor or Value instances: the parameters should be all that is left), and the resident set size
(VmRSS). The check: from step 100 to 300 the live objects and nodes do not grow and RSS grows by less than 4 MB.
Then, with the cyclic collector switched off, we run a few steps and ask gc.collect() how many objects were left in
reference cycles: 0 means the graph is freed by reference counting the moment the step's last reference goes.
micrograd is measured the same way for contrast: each of its nodes holds a closure that refers back to the node."""
import gc, random, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, print_machine, wait_for, json_arg, write_json, rss_kb

CHECKPOINTS = (0, 100, 200, 300)

def count_instances(cls):
    "Live instances of `cls` among the objects the garbage collector tracks."
    return sum(isinstance(o, cls) for o in gc.get_objects())

def track(step, node_cls, steps=300):
    "Train with `step`; at the checkpoints record tracked objects, cyclic garbage, live nodes and RSS."
    rows = []
    for i in range(steps + 1):
        step()  # the loss it returns is dropped at once, as in a training loop
        if i in CHECKPOINTS:
            n = len(gc.get_objects())
            garbage = gc.collect()  # objects that only a cycle kept alive
            rows.append(dict(step=i, gc_objects=n, cyclic_garbage=garbage, nodes=count_instances(node_cls), rss_kb=rss_kb()))
    return rows

def cyclic_garbage(step, steps=3):
    "Objects left in reference cycles after `steps` calls of `step` with the cyclic collector off, per step."
    gc.collect()
    gc.disable()
    try:
        for _ in range(steps): step()
        return gc.collect() / steps
    finally: gc.enable()

def flat(rows, tol_objects=50, tol_rss_kb=4096):
    "True when live objects and nodes do not grow from step 100 to 300 and RSS grows less than `tol_rss_kb`."
    a, b = rows[1], rows[-1]
    live = lambda r: r['gc_objects'] - r['cyclic_garbage']
    return live(b) <= live(a) + tol_objects and b['nodes'] <= a['nodes'] and b['rss_kb'] - a['rss_kb'] < tol_rss_kb

def report(name, rows, cyc):
    print(f'\n{name}')
    print(f"  {'step':>5} {'tracked objects':>15} {'of which cyclic garbage':>24} {'live nodes':>10} {'RSS MB':>8}")
    for r in rows:
        print(f"  {r['step']:>5} {r['gc_objects']:>15} {r['cyclic_garbage']:>24} {r['nodes']:>10} {r['rss_kb']/1024:>8.1f}")
    ok = flat(rows)
    print(f"  flat from step {rows[1]['step']} to {rows[-1]['step']}: {'yes' if ok else 'NO'}; objects left in reference cycles per step "
          f"(collector off): {cyc:,.0f}")
    return ok

def main(quick=False):
    "Run the memory checks, print a report, return the results as a dict."
    import numpy as np
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import scalar as bs, tensor as bt
    res = dict(machine=machine_info())
    print_machine(res['machine'])
    steps = 100 if quick else 300
    global CHECKPOINTS
    if quick: CHECKPOINTS = (0, 50, 100)

    E, = wait_for(['autograd.tensor.engine'])
    tstep = bt.make_ours(128)
    rows = track(tstep, E.Tensor, steps)
    cyc = cyclic_garbage(tstep)
    res['tensor'] = dict(rows=rows, cyclic_per_step=cyc, flat=report('tensor engine, MNIST MLP, batch 128', rows, cyc))

    SE, SN = wait_for(['autograd.scalar.engine', 'autograd.scalar.nn'])
    X, y = bs.moons(20)
    model = SN.MLP(2, [16, 16, 1], seed=0)
    sstep = lambda: bs.hinge_step(model, SE.Value, X, y)
    rows = track(sstep, SE.Value, steps)
    cyc = cyclic_garbage(sstep)
    res['scalar'] = dict(rows=rows, cyclic_per_step=cyc, params=len(model.parameters()),
                         flat=report(f'scalar engine, MLP(2, [16, 16, 1]), 20 points ({len(model.parameters())} parameters)', rows, cyc))

    import micrograd.engine as mge, micrograd.nn as mgn
    random.seed(0)
    mg = mgn.MLP(2, [16, 16, 1])
    mstep = lambda: bs.hinge_step(mg, mge.Value, X, y)
    cyc = cyclic_garbage(mstep)
    res['micrograd'] = dict(cyclic_per_step=cyc)
    print(f'\nmicrograd, same scalar workload: objects left in reference cycles per step (collector off): {cyc:,.0f}')
    res['all_flat'] = res['tensor']['flat'] and res['scalar']['flat']
    print(f"\ncheck: memory flat for both our engines: {'PASS' if res['all_flat'] else 'FAIL'}")
    return res

if __name__ == '__main__':
    out = main(quick='--quick' in sys.argv)
    if (p := json_arg()): write_json(out, p)
    sys.exit(0 if out['all_flat'] else 1)
