"""A compiled training step (`autograd.tensor.compile`) against our eager step, a hand-written NumPy step, PyTorch's
eager step and JAX's jit-compiled step.

Usage: python benchmarks/compile.py [--quick] [--threads 1,2] [--jax-python PATH] [--no-torch] [--no-jax] [--clock cpu|wall] [--json out.json]
       (the book's file: python benchmarks/compile.py --json benchmarks/compile.json)

Workload: one SGD step (forward, softmax cross-entropy, backward, update, learning rate 0.01) of the MNIST MLP
784-256-256-10 (ReLU), float32, on a fixed random batch of 32, 128 and 512 rows, with one BLAS thread and with two.
Systems (all relative to `numpy`, the hand-written NumPy step of benchmarks/tensor.py, measured in the same process):
  ours eager      autograd.tensor: Sequential(Linear, ReLU, ...), cross_entropy, SGD, as in benchmarks/tensor.py;
  ours compiled   the same step through autograd.tensor.compile (captured before timing), every fusion on;
  torch eager     torch.nn + F.cross_entropy + torch.optim.SGD on the CPU, in a worker process (skipped without PyTorch);
  jax jit         the whole step (value_and_grad and the update) as one jax.jit function with its parameters donated, in a
                  worker process run by the Python of the environment where JAX is installed (--jax-python; by default
                  .venv-jax/bin/python at the repository root, else this Python if it can import jax; else skipped).
Each worker process also times the NumPy step; a worker system's ratio is the median over rounds of its block over the
NumPy block the same worker timed in that round. All blocks, of every process, are interleaved (alternating order),
about 40 ms each; with two threads each block starts after a pause (see benchmarks/tensor.py). Worker processes are
pinned to as many CPUs as they have threads (sched_setaffinity), and JAX's XLA gets the same thread count. With one
thread a block's time is the CPU time of the process that ran it (time.process_time, every thread of it: XLA's too),
so that on a machine shared with other programs the time a process waited for the core does not count; with two
threads it is wall-clock time (CPU time would add the two threads' work). --clock wall times one thread by the wall
clock too.
Also measured, with one thread: each system's eight matrix products alone (the step's products at their shapes,
relative to the NumPy step of the same process), the fixed cost of a step (the same code for an 8-8-8-4 network at
batch 1), and for the compiled step, its time with all fusions over its time with each fusion switched off (and with
none).
"""
import os, sys
if '--worker' in sys.argv:  # before numpy starts its threads: a worker gets its thread count from its arguments
    _threads = sys.argv[sys.argv.index('--worker') + 1]
    for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[_v] = _threads
    os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') + f' --xla_cpu_multi_thread_eigen={"true" if _threads != "1" else "false"}'
                               f' intra_op_parallelism_threads={_threads}').strip()
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:int(_threads)])
import subprocess, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (ROOT, WorkerProcess, serve_worker, interleaved, summary, paired_ratio, machine_info, print_machine,
                     json_arg, write_json, loadavg, limit_threads, warm_blas)
from tensor import SIZES, BATCHES, LR, SETTLE, batch, make_numpy, make_ours, make_torch
import numpy as np

TINY = (8, 8, 8, 4)

def make_compiled(B, seed=0, sizes=SIZES, fusions=True):
    "Our MLP step (the one `make_ours` builds), compiled: captured once here, replayed by every call after."
    from autograd.tensor import compile
    from autograd.tensor.nn import Sequential, Linear, ReLU, cross_entropy
    from autograd.tensor.optim import SGD
    i, h1, h2, o = sizes
    model = Sequential(Linear(i, h1, seed=seed), ReLU(), Linear(h1, h2, seed=seed + 1), ReLU(), Linear(h2, o, seed=seed + 2))
    opt = SGD(model.parameters(), lr=LR)
    X, y = batch(B, sizes=sizes)
    def step(x, y):
        loss = cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
        return loss
    step = compile(step, fusions=fusions)
    step(X, y)
    return lambda: step(X, y)

def make_jax(B, seed=0, sizes=SIZES):
    "The same step in JAX: loss, gradients and SGD update in one jit-compiled function, parameters donated (updated in place)."
    import jax, jax.numpy as jnp
    rng = np.random.default_rng(seed)
    params = [(jnp.asarray(rng.uniform(-1, 1, (o, i)).astype(np.float32) / np.sqrt(i)), jnp.zeros(o, jnp.float32))
              for i, o in zip(sizes[:-1], sizes[1:])]
    X, y = (jnp.asarray(a) for a in batch(B, sizes=sizes))
    def loss_fn(params, x, y):
        for W, b in params[:-1]: x = jax.nn.relu(x @ W.T + b)
        W, b = params[-1]
        logp = jax.nn.log_softmax(x @ W.T + b)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return [(W - LR * gW, b - LR * gb) for (W, b), (gW, gb) in zip(params, grads)], loss
    step = jax.jit(step, donate_argnums=0)
    state = [params]
    def run():
        state[0], loss = step(state[0], X, y)
        loss.block_until_ready()
    run(); run()  # compile, and a first donated call
    return run

def products_jax(B, seed=0, sizes=SIZES):
    "The step's eight matrix products alone, at their shapes, as one jit-compiled JAX function."
    import jax, jax.numpy as jnp
    rng = np.random.default_rng(seed)
    W = [jnp.asarray(rng.random((o, i), dtype=np.float32)) for i, o in zip(sizes[:-1], sizes[1:])]
    acts = [jnp.asarray(rng.random((B, n), dtype=np.float32)) for n in sizes]
    @jax.jit
    def f(W, acts):
        out = [acts[k] @ W[k].T for k in range(len(W))]
        out += [acts[k + 1].T @ acts[k] for k in range(len(W))] + [acts[k + 1] @ W[k] for k in range(1, len(W))]
        return out
    def run(): jax.block_until_ready(f(W, acts))
    run()
    return run

def _products(W, acts):
    "A callable computing the step's eight products: forward, the weights' gradients, the inputs' of all but the first layer."
    def run():
        for k in range(len(W)): acts[k] @ W[k].T
        for k in range(len(W)):
            acts[k + 1].T @ acts[k]
            if k > 0: acts[k + 1] @ W[k]
    return run

def products_torch(B, seed=0, sizes=SIZES):
    "The step's eight matrix products alone, at their shapes, in PyTorch."
    import torch
    g = torch.Generator().manual_seed(seed)
    return _products([torch.rand(o, i, generator=g) for i, o in zip(sizes[:-1], sizes[1:])], [torch.rand(B, n, generator=g) for n in sizes])

def products_numpy(B, seed=0, sizes=SIZES):
    "The step's eight matrix products alone, at the shapes of our layers (weights (out, in), as in PyTorch)."
    rng = np.random.default_rng(seed)
    return _products([rng.random((o, i), dtype=np.float32) for i, o in zip(sizes[:-1], sizes[1:])],
                     [rng.random((B, n), dtype=np.float32) for n in sizes])

WORKER_MAKERS = dict(numpy=make_numpy, torch=make_torch, jax=make_jax, numpy_products=products_numpy,
                     torch_products=products_torch, jax_products=products_jax)

def _clock(threads, clock='cpu'):
    "How blocks are timed: this process's CPU time with one thread (unless `clock` is 'wall'), else the wall clock."
    return time.process_time if threads == 1 and clock == 'cpu' else time.perf_counter

def worker(threads, system, clock='cpu'):
    "A worker process: the NumPy step and one other system (`torch` or `jax`), timed on request (see `WorkerProcess`)."
    def info():
        out = dict(system=system, threads=threads, cpus=sorted(os.sched_getaffinity(0)), numpy=np.__version__)
        if system == 'torch':
            import torch
            torch.set_num_threads(threads)
            out.update(version=torch.__version__, torch_threads=torch.get_num_threads())
        if system == 'jax':
            import jax, jaxlib
            out.update(version=jax.__version__, jaxlib=jaxlib.__version__, devices=[str(d) for d in jax.devices()])
        return out
    def make_step(key):
        name, B, *sizes = key.split(',')
        return WORKER_MAKERS[name](int(B), sizes=tuple(map(int, sizes)))
    warm_blas()  # its thread count came from the environment; its NumPy step then runs as the parent's does
    serve_worker(info, make_step, clock=_clock(threads, clock))

class Worker(WorkerProcess):
    "A worker process for `system`, and a block-timing callable for each step it can run."
    def __init__(self, system, threads, python=None, clock='cpu'):
        super().__init__(__file__, threads, flag='--worker', args=(system, clock), python=python)
        self.system = system
    def step_fn(self, name, B, sizes=SIZES): return self.block(','.join(map(str, (name, B, *sizes))))

def _can_import(python, module):
    return subprocess.run([python, '-c', f'import {module}'], capture_output=True).returncode == 0

def jax_python(arg=None):
    "The Python that can import jax: --jax-python, else .venv-jax/bin/python, else this one; None if none can."
    for p in [arg, ROOT / '.venv-jax' / 'bin' / 'python', sys.executable]:
        if p and Path(p).exists() and _can_import(str(p), 'jax'): return str(p)
    return None

def _number(f, target=0.04):
    "How many steps make a block of about `target` seconds."
    f(); t0 = time.perf_counter()
    for _ in range(3): f()
    return max(2, int(target / ((time.perf_counter() - t0) / 3)))

def time_steps(B, threads, workers, repeats, sizes=SIZES, products=False, clock='cpu'):
    "Every system's step at batch B, interleaved; ratios to the NumPy step of the same process (and each one's products alone)."
    fns = {'numpy': make_numpy(B, sizes=sizes), 'ours eager': make_ours(B, sizes=sizes), 'ours compiled': make_compiled(B, sizes=sizes)}
    if products: fns['numpy products'] = products_numpy(B, sizes=sizes)
    for w in workers:
        fns[f'{w.system} numpy'] = w.step_fn('numpy', B, sizes)
        fns[w.system] = w.step_fn(w.system, B, sizes)
        if products: fns[f'{w.system} products'] = w.step_fn(f'{w.system}_products', B, sizes)
    number = _number(fns['numpy'])
    ts = interleaved(fns, repeats=repeats, number=number, warmup=3, settle=SETTLE if threads > 1 else 0, clock=_clock(threads, clock))
    ratio = {'ours eager': paired_ratio(ts['ours eager'], ts['numpy']), 'ours compiled': paired_ratio(ts['ours compiled'], ts['numpy'])}
    for w in workers: ratio[NAMES[w.system]] = paired_ratio(ts[w.system], ts[f'{w.system} numpy'])
    out = dict(threads=threads, batch=B, number=number, clock='cpu' if _clock(threads, clock) is time.process_time else 'wall',
               ratio=ratio, seconds={k: summary(v) for k, v in ts.items()})
    if products:  # the eight products alone, relative to the NumPy step of the same process
        out['products'] = {'numpy': paired_ratio(ts['numpy products'], ts['numpy'])}
        for w in workers: out['products'][NAMES[w.system]] = paired_ratio(ts[f'{w.system} products'], ts[f'{w.system} numpy'])
    return out

NAMES = dict(torch='torch eager', jax='jax jit')

def time_fusions(B, repeats, clock='cpu'):
    "The compiled step with every fusion over the same step with each fusion switched off in turn, and with none."
    from autograd.tensor.jit import _FUSION_PASSES
    names = list(_FUSION_PASSES)
    fns = {'all': make_compiled(B), 'none': make_compiled(B, fusions=False)}
    fns.update({f'without {n}': make_compiled(B, fusions=[m for m in names if m != n]) for n in names})
    ts = interleaved(fns, repeats=repeats, number=_number(fns['all']), warmup=3, clock=_clock(1, clock))
    return dict(batch=B, ratio={k: paired_ratio(ts['all'], v) for k, v in ts.items() if k != 'all'})

def main(quick=False, threads_list=(1, 2), jax_arg=None, use_torch=True, use_jax=True, clock='cpu'):
    "Run everything, print a report, return the results as a dict."
    t_start, load_start = time.time(), loadavg()
    res = dict(machine=machine_info(), systems=['ours eager', 'ours compiled', 'torch eager', 'jax jit'], steps=[], clock=clock)
    print_machine(res['machine'])
    have_torch = use_torch and _can_import(sys.executable, 'torch')
    jpy = jax_python(jax_arg) if use_jax else None
    print('PyTorch: ' + ('in a worker process' if have_torch else 'skipped (not installed, or --no-torch)'))
    print('JAX: ' + (f'in a worker process run by {jpy}' if jpy else 'skipped (no Python that imports jax, or --no-jax)'))
    repeats = 5 if quick else 15
    batches = BATCHES[:1] if quick else BATCHES
    versions = dict(numpy=np.__version__)
    for threads in threads_list:
        limit_threads(threads)  # and warms numpy's BLAS up, as every worker does
        workers = ([Worker('torch', threads, clock=clock)] if have_torch else []) + ([Worker('jax', threads, jpy, clock=clock)] if jpy else [])
        for w in workers: versions.update({w.system: w.info.get('version')}, **({'jaxlib': w.info['jaxlib']} if 'jaxlib' in w.info else {}))
        for B in batches:
            r = time_steps(B, threads, workers, repeats, products=threads == 1, clock=clock)
            res['steps'].append(r)
            print(f'threads {threads} batch {B:>3}: ' + ', '.join(f"{k} {v['median']:.2f}x ±{v['iqr_rel']:.0%}" for k, v in r['ratio'].items())
                  + f"  (NumPy step {r['seconds']['numpy']['median'] * 1e3:.2f} ms)", flush=True)
            if 'products' in r: print('  the eight products alone: ' + ', '.join(f"{k} {v['median']:.2f}x" for k, v in r['products'].items()))
        if threads == 1:
            r = time_steps(1, 1, workers, repeats, sizes=TINY, clock=clock)
            res['fixed_cost'] = r['ratio']
            print('fixed cost (MLP 8-8-8-4, batch 1), relative to NumPy: ' + ', '.join(f"{k} {v['median']:.2f}x" for k, v in r['ratio'].items()))
            res['fusions'] = []
            for B in batches:
                res['fusions'].append(time_fusions(B, max(5, repeats), clock=clock))
                print(f'fusions at batch {B}, all on over: ' + ', '.join(f"{k} {v['median']:.3f}" for k, v in res['fusions'][-1]['ratio'].items()), flush=True)
        for w in workers: w.close()
    res.update(versions=versions, load=[load_start, loadavg()], seconds=time.time() - t_start,
               uptime=Path('/proc/uptime').read_text().split()[0] if Path('/proc/uptime').exists() else None,
               generated=time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()), command='python ' + ' '.join(sys.argv))
    print(f"load average {res['load'][0]} at the start, {res['load'][1]} at the end; {res['seconds']:.0f} s")
    return res

if __name__ == '__main__':
    args = sys.argv[1:]
    if '--worker' in args:
        i = args.index('--worker')
        worker(int(args[i + 1]), args[i + 2], args[i + 3])
    else:
        threads = tuple(int(t) for t in args[args.index('--threads') + 1].split(',')) if '--threads' in args else (1, 2)
        out = main(quick='--quick' in args, threads_list=threads, jax_arg=args[args.index('--jax-python') + 1] if '--jax-python' in args else None,
                   use_torch='--no-torch' not in args, use_jax='--no-jax' not in args,
                   clock=args[args.index('--clock') + 1] if '--clock' in args else 'cpu')
        if (p := json_arg()): write_json(out, p)
