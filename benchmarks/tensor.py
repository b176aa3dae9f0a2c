"""Tensor engine (autograd.tensor) against a hand-written NumPy step and PyTorch (CPU, optional).

Usage: python benchmarks/tensor.py [--quick] [--threads N] [--no-extras] [--no-memory] [--json out.json]
       (--no-extras skips the fixed-cost step, the ablations and the profile; --no-memory skips the memory children)
For a fair BLAS, unset the OpenBLAS overrides for this command alone (see benchmarks/README.md):
       env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/tensor.py

Workload: one SGD training step (forward, softmax cross-entropy, backward, update) of the MNIST MLP
784-256-256-10 (ReLU), float32, on a fixed random batch (timing does not depend on the pixel values) of 32, 128
and 512 rows. Systems:
  ours    autograd.tensor: Sequential(Linear, ReLU, Linear, ReLU, Linear), cross_entropy, SGD;
  numpy   the same step written by hand: float32 throughout, in-place where it is free, no gradient for the input;
          the practical limit for an engine built on NumPy;
  torch   torch.nn + F.cross_entropy + torch.optim.SGD on the CPU with as many threads as numpy's BLAS
          (skipped with a message when PyTorch is not installed). It runs in a worker process of its own, so that
          its OpenMP/MKL threads and numpy's OpenBLAS threads never share a process; the worker times its blocks.
Threads: numpy's BLAS thread count unless --threads N is given (then every BLAS and PyTorch get N, via threadpoolctl).
Time per step: warm-up, then blocks of several steps (about 30 ms), the systems' blocks interleaved (order
alternating), median over blocks; a ratio is the median over rounds of the ratio of the two blocks of a round.
With more than one thread, idle OpenBLAS and OpenMP threads keep spinning for up to ~0.1 s after their last call
and slow down whichever system runs next (measured: PyTorch's step at batch 32 took 4x longer right after a NumPy
block than alone); so each block then starts after a 0.25 s pause and one untimed step.
The physical limit: the step's matrix-multiply FLOPs over the best rate of a 1024^3 float32 matmul in numpy,
sampled between the timed blocks.
Memory: each (system, batch) runs in a fresh child process: resident-set growth (peak VmHWM during 10 steps minus
VmRSS before the model was built, from /proc/self/status, after a tiny model has warmed the runtime up) and, for
ours and numpy, tracemalloc's count of the bytes held between steps and the extra peak during one step (numpy
reports its buffers to tracemalloc; PyTorch's allocator does not)."""
import gc, json, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (WorkerProcess, serve_worker, interleaved, summary, paired_ratio, fmt_time, machine_info, print_machine, wait_for, json_arg, write_json,
                     numpy_blas_threads, limit_threads, rss_kb, hwm_kb, reset_hwm, top_functions, blas_info)
import numpy as np

SIZES = (784, 256, 256, 10)
BATCHES = (32, 128, 512)
LR = 0.01
SETTLE = 0.25  # seconds between blocks when several threads are used (see `interleaved`)

def batch(B, seed=0, sizes=SIZES):
    "A fixed random float32 batch in [0, 1) and int64 labels."
    rng = np.random.default_rng(seed)
    return rng.random((B, sizes[0]), dtype=np.float32), rng.integers(0, sizes[-1], B).astype(np.int64)

def step_flops(B, sizes=SIZES):
    "Matrix-multiply FLOPs of one step: forward, weight gradients, and input gradients of all but the first layer."
    pairs = list(zip(sizes[:-1], sizes[1:]))
    fwd = sum(2 * B * i * o for i, o in pairs)
    return fwd + fwd + sum(2 * B * i * o for i, o in pairs[1:])

class NumpyMLP:
    "The MLP step written by hand in NumPy: the practical limit for a NumPy engine."
    def __init__(self, sizes=SIZES, seed=0, input_grad=False):
        rng = np.random.default_rng(seed)
        self.W = [(rng.standard_normal((i, o), dtype=np.float32) * np.float32(np.sqrt(2 / i))) for i, o in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(o, np.float32) for o in sizes[1:]]
        self.input_grad = input_grad

    def step(self, X, y, lr=LR):
        "Forward, softmax cross-entropy, backward, SGD update; returns the loss."
        acts = [X]
        for W, b in zip(self.W[:-1], self.b[:-1]):
            h = acts[-1] @ W; h += b; np.maximum(h, 0, out=h)
            acts.append(h)
        z = acts[-1] @ self.W[-1]; z += self.b[-1]
        z -= z.max(axis=1, keepdims=True)
        rows = np.arange(len(y))
        zy = z[rows, y]
        e = np.exp(z, out=z); s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s[:, 0]).mean() - zy.mean())
        dz = e; dz /= s; dz[rows, y] -= 1; dz *= np.float32(1 / len(y))
        for k in range(len(self.W) - 1, -1, -1):
            a, W = acts[k], self.W[k]
            dW, db = a.T @ dz, dz.sum(axis=0)
            if k > 0 or self.input_grad:
                dz_prev = dz @ W.T
                if k > 0: dz_prev *= (a > 0)  # relu' (a is relu's output)
            dW *= np.float32(lr); db *= np.float32(lr)
            W -= dW; self.b[k] -= db
            if k > 0: dz = dz_prev
        return loss

def matmuls_only(B, sizes=SIZES):
    "A callable doing just the step's matrix multiplies in NumPy (the same shapes): the floor for these shapes."
    X, _ = batch(B)
    rng = np.random.default_rng(1)
    W = [rng.random((i, o), dtype=np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
    acts = [X] + [rng.random((B, o), dtype=np.float32) for o in sizes[1:]]
    def f():
        for k in range(len(W)): acts[k] @ W[k]
        for k in range(len(W)):
            acts[k].T @ acts[k + 1]
            if k > 0: acts[k + 1] @ W[k].T
    return f

def make_ours(B, seed=0, input_grad=False, fused=True, sizes=SIZES):
    "Build our engine's MLP and optimiser; return a step callable."
    E, N, O = wait_for(['autograd.tensor.engine', 'autograd.tensor.nn', 'autograd.tensor.optim'])
    i, h1, h2, o = sizes
    model = N.Sequential(N.Linear(i, h1, seed=seed), N.ReLU(), N.Linear(h1, h2, seed=seed + 1), N.ReLU(),
                         N.Linear(h2, o, seed=seed + 2))
    opt = O.SGD(model.parameters(), lr=LR)
    X, y = batch(B, sizes=sizes)
    if fused: loss_fn = N.cross_entropy
    else:  # the same loss from primitive ops (exp, sum, log) instead of the fused log_softmax
        rows = np.arange(len(y))
        def loss_fn(logits, y):
            z = logits - E.Tensor(logits.data.max(axis=1, keepdims=True))  # a constant shift: no gradient needed
            return (z.exp().sum(axis=1).log() - z[rows, y]).mean()
    def step():
        loss = loss_fn(model(E.Tensor(X, requires_grad=input_grad)), y)
        opt.zero_grad(); loss.backward(); opt.step()
        return loss
    return step

def make_numpy(B, seed=0, input_grad=False, sizes=SIZES):
    "Build the hand-written NumPy MLP; return a step callable."
    X, y = batch(B, sizes=sizes)
    m = NumpyMLP(sizes, seed=seed, input_grad=input_grad)
    return lambda: m.step(X, y)

def torch_or_none():
    "PyTorch if installed, else None (the torch column is optional)."
    try:
        import torch
        return torch
    except ImportError: return None

def make_torch(B, seed=0, sizes=SIZES):
    "Build the same MLP in PyTorch on the CPU; return a step callable."
    torch = torch_or_none()
    torch.manual_seed(seed)
    nn, F = torch.nn, torch.nn.functional
    i, h1, h2, o = sizes
    model = nn.Sequential(nn.Linear(i, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(), nn.Linear(h2, o))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    X, y = (torch.from_numpy(a) for a in batch(B, sizes=sizes))
    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(X), y)
        loss.backward(); opt.step()
        return loss
    return step

MAKERS = dict(ours=make_ours, numpy=make_numpy, torch=make_torch)

class TorchWorker(WorkerProcess):
    "PyTorch steps in a worker process (its own threads, its own heap); `timed_block(n)` returns seconds for n steps."
    def __init__(self, threads): super().__init__(__file__, threads)
    def step_fn(self, B, sizes=SIZES):
        "A block-timing callable for batch size B (and layer sizes)."
        return self.block(','.join(map(str, (B, *sizes))))

def torch_worker(threads):
    "The worker's loop: `info`, `setup B,sizes...`, `run B,sizes... n` (prints the seconds taken by n steps)."
    torch = torch_or_none()
    limit_threads(threads)
    torch.set_num_threads(threads)
    def make_step(key):
        B, *sizes = map(int, key.split(','))
        return make_torch(B, sizes=tuple(sizes))
    serve_worker(lambda: dict(torch=torch.__version__, threads=torch.get_num_threads(), blas=blas_info(),
                              mkl=torch.backends.mkl.is_available(), config=torch.__config__.parallel_info().splitlines()[:8]),
                 make_step)

class Sgemm:
    "One float32 n x n @ n x n product per timed block, so the FLOP rate is sampled under the same load as the steps."
    def __init__(self, n=1024):
        rng = np.random.default_rng(0)
        self.n, self.a, self.b = n, rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
        self.a @ self.b
    def timed_block(self, number):  # one product whatever `number` is: report it as `number` units of that time
        t0 = time.perf_counter(); self.a @ self.b
        return (time.perf_counter() - t0) * number
    def rate(self, seconds): return 2 * self.n ** 3 / seconds

def mem_child(system, B, threads):
    "In a fresh process: resident-set growth of 10 training steps and (not torch) tracemalloc held/step-peak bytes."
    limit_threads(threads)
    if system == 'torch': torch_or_none().set_num_threads(threads)
    warm = MAKERS[system](8)  # initialise the runtime (BLAS buffers, thread pools, kernels) outside the measurement
    for _ in range(3): warm()
    del warm; gc.collect()
    base = rss_kb(); reset_hwm()
    step = MAKERS[system](B)
    for _ in range(10): step()
    out = dict(rss_growth_kb=hwm_kb() - base, rss_base_kb=base)
    if system != 'torch':
        import tracemalloc
        tracemalloc.start()
        step = MAKERS[system](B, seed=1)
        for _ in range(2): step()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        out.update(held_bytes=held, step_peak_bytes=tracemalloc.get_traced_memory()[1] - held)
        tracemalloc.stop()
    print(json.dumps(out))

def memory(systems, batches, threads):
    "Run `mem_child` for every (system, batch) in its own process; return system -> batch -> dict."
    res = {}
    for s in systems:
        for B in batches:
            r = subprocess.run([sys.executable, __file__, '--mem-child', s, str(B), str(threads)], capture_output=True, text=True)
            if r.returncode: res.setdefault(s, {})[B] = dict(error=r.stderr.strip().splitlines()[-1:])
            else: res.setdefault(s, {})[B] = json.loads(r.stdout.strip().splitlines()[-1])
    return res

def main(quick=False, threads=None, extras=True, mem=True):
    "Run the tensor benchmarks, print a report, return the results as a dict."
    wait_for(['autograd.tensor.engine', 'autograd.tensor.nn', 'autograd.tensor.optim'])
    threads = threads or numpy_blas_threads()
    limit_threads(threads)
    have_torch = torch_or_none() is not None  # imported only to check; the steps run in a worker process
    systems = ['ours', 'numpy'] + (['torch'] if have_torch else [])
    res = dict(machine=machine_info(), threads=threads, systems=systems, batches=list(BATCHES))
    print_machine(res['machine'])
    worker = TorchWorker(threads) if have_torch else None
    if worker:
        res['torch'] = worker.info
        libs = ', '.join(f"{b['internal_api']} {b['version']} ({b['num_threads']} threads)" for b in worker.info['blas'])
        print(f"PyTorch {worker.info['torch']} in a worker process: torch.set_num_threads({threads}), "
              f"{worker.info['threads']} threads; its libraries: {libs}")
    else: print('PyTorch is not installed: the torch column is skipped (pip install torch to add it)')
    sgemm = Sgemm(1024)

    settle = SETTLE if worker and threads > 1 else 0
    repeats = 5 if quick else (15 if settle else 25)  # settling costs time: fewer, calmer rounds
    res['steps'], sgemm_times = {}, []
    print(f"{'batch':>5} " + ' '.join(f'{s:>15}' for s in systems) + f" {'ours/numpy':>11}" + (f" {'ours/torch':>11}" if worker else '')
          + f" {'matmuls alone':>13} {'FLOP limit':>10}")
    for B in BATCHES:
        fns = {s: MAKERS[s](B) for s in systems if s != 'torch'}
        if worker: fns['torch'] = worker.step_fn(B)
        t0 = time.perf_counter()
        for _ in range(5): fns['numpy']()
        number = max(2, int(0.03 / ((time.perf_counter() - t0) / 5)))  # blocks of about 30 ms
        fns['matmuls_alone'] = matmuls_only(B)
        fns['sgemm_1024'] = sgemm
        # with several threads, idle OpenBLAS (parent) and OpenMP (worker) threads spin for a while after their last
        # call and would steal a core from the next system: pause before each block so that each runs as if alone
        ts = interleaved(fns, repeats=repeats, number=number, warmup=5, settle=settle)
        s = {k: summary(v) for k, v in ts.items()}
        sgemm_times += ts.pop('sgemm_1024'); s.pop('sgemm_1024')
        rate = sgemm.rate(min(sgemm_times))  # the machine's best: the limit is a bound, not a typical time
        flops = step_flops(B)
        # the headline ratios: median over rounds of the ratio within each round (their spread is the ratio's noise)
        r = dict(number=number, times=s, flops=flops, flop_limit_s=flops / rate,
                 ratios={k: paired_ratio(ts['ours'], ts[k]) for k in systems if k != 'ours'},
                 ratio_of_medians={k: s['ours']['median'] / s[k]['median'] for k in systems if k != 'ours'})
        r['ours_over_numpy'] = r['ratios']['numpy']['median']
        if worker: r['ours_over_torch'] = r['ratios']['torch']['median']
        r['fraction_of_limit'] = {k: (flops / rate) / s[k]['median'] for k in systems + ['matmuls_alone']}
        res['steps'][B] = r
        cells = ' '.join(f"{fmt_time(s[k]['median']):>9} ±{s[k]['iqr_rel']:3.0%}" for k in systems)
        ratio = lambda k: f"{r['ratios'][k]['median']:.2f} ±{r['ratios'][k]['iqr_rel']:3.0%}"
        print(f'{B:>5} {cells} {ratio("numpy"):>11}' + (f' {ratio("torch"):>11}' if worker else '')
              + f" {fmt_time(s['matmuls_alone']['median']):>13} {fmt_time(flops / rate):>10}", flush=True)
        del fns; gc.collect()
    print('(times: median over blocks; ratios: median over rounds of the ratio within a round; ± is the interquartile\n'
          ' range relative to the median: the noise of this shared machine)')
    res['sgemm_flops_per_s'] = rate = sgemm.rate(min(sgemm_times))
    res['sgemm'] = summary(sgemm_times)
    print(f'numpy float32 1024x1024 @ 1024x1024 with {threads} thread(s), sampled between the blocks above: best '
          f'{rate/1e9:.1f} GFLOP/s, median {sgemm.rate(res["sgemm"]["median"])/1e9:.1f} (±{res["sgemm"]["iqr_rel"]:.0%}); '
          'the FLOP limit of a step uses the best')
    for B in BATCHES:  # the limit with the rate over all samples
        r = res['steps'][B]; r['flop_limit_s'] = r['flops'] / rate
        r['fraction_of_limit'] = {k: r['flop_limit_s'] / r['times'][k]['median'] for k in systems + ['matmuls_alone']}

    t = res['steps']
    res['targets'] = dict(
        ours_within_1_15x_numpy_at_128=t[128]['ours_over_numpy'] <= 1.15,
        ours_within_1_5x_numpy_at_32=t[32]['ours_over_numpy'] <= 1.5)
    if worker: res['targets']['ours_faster_than_torch_at_128'] = t[128]['ours_over_torch'] < 1.0
    print('\ntargets: ' + ', '.join(f"{k}: {'met' if v else 'MISSED'}" for k, v in res['targets'].items()))
    print('share of the FLOP limit reached (limit time / step time):')
    for B in BATCHES: print(f'  B={B}: ' + ', '.join(f'{k} {v:.0%}' for k, v in t[B]['fraction_of_limit'].items()))

    if extras: extra_experiments(res, repeats, worker)
    if worker: worker.close()
    if mem: memory_report(res, systems, threads)
    res['machine']['loadavg_end'] = machine_info()['loadavg']
    return res

def extra_experiments(res, repeats, worker=None):
    "The fixed cost of a step, ablations at batch 128 and a profile of our step at batch 32, added to `res`."
    # the fixed cost of a step: the same code on a tiny network at batch 1, where the arithmetic is next to nothing
    tiny = (8, 8, 8, 4)
    fns = {'ours': make_ours(1, sizes=tiny), 'numpy': make_numpy(1, sizes=tiny)}
    if worker: fns['torch'] = worker.step_fn(1, tiny)
    ts = interleaved(fns, repeats=repeats, number=100, warmup=20)
    res['fixed_cost'] = dict(sizes=tiny, batch=1, times={k: summary(v) for k, v in ts.items()})
    print(f'\nfixed cost of one step (the same step for an MLP {"-".join(map(str, tiny))} at batch 1): '
          + ', '.join(f"{k} {v['median']*1e6:.0f} µs ±{v['iqr_rel']:.0%}" for k, v in res['fixed_cost']['times'].items()))

    # what single design choices cost, measured on our engine and the NumPy step at batch 128
    B = 128
    abl = {'ours': MAKERS['ours'](B), 'ours, input requires_grad=True': make_ours(B, input_grad=True),
           'numpy': MAKERS['numpy'](B), 'numpy, with input gradient': make_numpy(B, input_grad=True)}
    try:
        f = make_ours(B, fused=False); f(); abl['ours, cross-entropy from exp, sum, log'] = f
    except Exception as e: print(f'(unfused cross-entropy variant skipped: {type(e).__name__}: {e})')
    ts = interleaved(abl, repeats=max(3, repeats // 2), number=res['steps'][B]['number'], warmup=3)
    res['ablations_128'] = {k: summary(v) for k, v in ts.items()}
    print(f'\nablations at batch {B}:')
    for k, v in res['ablations_128'].items(): print(f"  {k:<40} {fmt_time(v['median']):>9} ±{v['iqr_rel']:3.0%}")

    # where our step's time goes at the smallest batch (Python overhead is largest there)
    step32 = MAKERS['ours'](32)
    for _ in range(3): step32()
    res['profile_ours_32'] = top_functions(lambda: [step32() for _ in range(20)], n=8, collect=False)
    print('cProfile of our step at batch 32 (share of own time):')
    for n, v in res['profile_ours_32']: print(f'  {v:4.0%} {n}')

def memory_report(res, systems, threads):
    "Memory per step of each system and batch (child processes), added to `res`."
    res['memory'] = memory(systems, BATCHES, threads)
    print('\nmemory per step (fresh process per system and batch):')
    for s in systems:
        for B in BATCHES:
            m = res['memory'][s][B]
            if 'error' in m: print(f'  {s:>5} B={B:<4} failed: {m["error"]}'); continue
            line = f"  {s:>5} B={B:<4} resident growth {m['rss_growth_kb']/1024:6.1f} MB"
            if 'held_bytes' in m: line += f"; tracemalloc: held between steps {m['held_bytes']/2**20:5.2f} MB, step peak +{m['step_peak_bytes']/2**20:5.2f} MB"
            print(line)

if __name__ == '__main__':
    args = sys.argv[1:]
    if '--mem-child' in args:
        i = args.index('--mem-child')
        mem_child(args[i + 1], int(args[i + 2]), int(args[i + 3]))
    elif '--torch-worker' in args: torch_worker(int(args[args.index('--torch-worker') + 1]))
    else:
        out = main(quick='--quick' in args, threads=int(args[args.index('--threads') + 1]) if '--threads' in args else None,
                   extras='--no-extras' not in args, mem='--no-memory' not in args)
        if (p := json_arg()): write_json(out, p)
