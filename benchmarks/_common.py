"""Shared helpers for the benchmark scripts: where the package is, what machine this is, and interleaved timing.

Nothing here runs at import time except putting the repository root on `sys.path`, so that
`python benchmarks/scalar.py` imports the `autograd` package of this checkout without installing it."""
import cProfile, gc, io, json, os, platform, pstats, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))

def wait_for(modules, # module names that must import, e.g. ['autograd.scalar.nn']
             poll=120, # seconds between tries
             timeout=0): # give up after this many seconds (0: try once)
    "Import `modules`, retrying every `poll` seconds while another author is still writing them."
    import importlib
    t0 = time.time()
    while True:
        try: return [importlib.import_module(m) for m in modules]
        except Exception as e:
            if time.time() - t0 >= timeout: raise SystemExit(f'cannot import {modules}: {type(e).__name__}: {e}')
            print(f'waiting for {modules} ({type(e).__name__}: {e})', flush=True)
            time.sleep(poll)
            for m in list(sys.modules):
                if m == 'autograd' or m.startswith('autograd.'): del sys.modules[m]

def cpu_model():
    "The CPU's model name from /proc/cpuinfo (Linux), else what `platform` says."
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()

def loadavg():
    "The 1-minute load average: how busy the (shared) machine was."
    try: return float(Path('/proc/loadavg').read_text().split()[0])
    except OSError: return None

def blas_info():
    "The BLAS libraries loaded in this process (threadpoolctl): library, version, kernel and thread count."
    try: from threadpoolctl import threadpool_info
    except ImportError: return []
    return [{k: d.get(k) for k in ('user_api', 'internal_api', 'version', 'architecture', 'num_threads', 'prefix')}
            for d in threadpool_info()]

def numpy_blas_threads():
    "How many threads numpy's BLAS uses (the count we give PyTorch too)."
    for d in blas_info():
        if d['user_api'] == 'blas' and d['internal_api'] in ('openblas', 'mkl', 'blis'): return d['num_threads']
    return 1

def warm_blas(n=1024):
    """Make one float32 n x n product with numpy, so that its BLAS times small products as it will for the rest of the run.

    Measured here (numpy 2.4's OpenBLAS 0.3.31, Haswell kernels, one thread, on an AMD EPYC virtual machine): in a fresh
    process a 32x784 @ 784x256 product ran at about 13 GFLOP/s, and at about 33 once any product of at least 384x384x384
    had run (a 256^3 product does not do it). Each process we time calls this after setting its thread count (each BLAS
    thread has its own buffer), so that every process, parent or worker, times its products in the same state."""
    import numpy as np
    a = np.ones((n, n), np.float32)
    a @ a

def limit_threads(n):
    "Give every BLAS/OpenMP library in this process `n` threads (for the life of the process), then warm numpy's BLAS up."
    from threadpoolctl import threadpool_limits
    global _LIMITER
    _LIMITER = threadpool_limits(limits=n)
    warm_blas()

def machine_info():
    "A dict describing the machine and software the numbers came from."
    import numpy as np
    info = dict(cpu=cpu_model(), logical_cpus=os.cpu_count(), usable_cpus=len(os.sched_getaffinity(0)),
                python=platform.python_version(), numpy=np.__version__, platform=platform.platform(),
                OPENBLAS_CORETYPE=os.environ.get('OPENBLAS_CORETYPE'), OPENBLAS_L2_SIZE=os.environ.get('OPENBLAS_L2_SIZE'),
                loadavg=loadavg(), blas=[d for d in blas_info() if d['user_api'] == 'blas'])
    return info

def print_machine(info):
    "Print `machine_info()` in a few lines."
    print(f"machine: {info['cpu']}, {info['usable_cpus']} usable of {info['logical_cpus']} logical CPUs; "
          f"Python {info['python']}, numpy {info['numpy']}; load average {info['loadavg']}")
    for b in info['blas']:
        print(f"BLAS: {b['internal_api']} {b['version']} kernel={b['architecture']} threads={b['num_threads']}")
    if info['OPENBLAS_CORETYPE'] or info['OPENBLAS_L2_SIZE']:
        print(f"note: OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} OPENBLAS_L2_SIZE={info['OPENBLAS_L2_SIZE']} are set: "
              "they can select a slower kernel; see benchmarks/README.md")

def interleaved(fns, # dict name -> callable doing one unit of work (e.g. one training step)
                repeats=7, # timed blocks per callable
                number=1, # units per timed block
                warmup=1, # untimed units per callable before timing
                collect=False, # gc.collect() before each block (untimed) and at its end (timed)
                settle=0.0, # seconds to pause before each block, followed by one untimed unit
                clock=time.perf_counter): # what a block's seconds are read from (time.process_time: this process's CPU time)
    "Time the callables in turn, block by block, alternating their order; return name -> list of seconds per unit."
    def block(f, n):
        if settle:  # let the previous system's idle BLAS/OpenMP threads stop spinning, then warm up again
            time.sleep(settle)
            f.timed_block(1) if hasattr(f, 'timed_block') else f()
        if hasattr(f, 'timed_block'): return f.timed_block(n)  # runs in another process and times itself
        if collect: gc.collect()
        t0 = clock()
        for _ in range(n): f()
        # charge each system for reclaiming its own garbage, not the next one's
        if collect: gc.collect()
        return clock() - t0
    for f in fns.values():
        if warmup: block(f, warmup)
    times = {k: [] for k in fns}
    names = list(fns)
    for r in range(repeats):
        for k in (names if r % 2 == 0 else names[::-1]): times[k].append(block(fns[k], number) / number)
    return times

def summary(ts):
    "Median and spread of a list of times: the numbers we report."
    med = statistics.median(ts)
    q = statistics.quantiles(ts, n=4) if len(ts) >= 4 else [min(ts), med, max(ts)]
    return dict(median=med, q1=q[0], q3=q[2], min=min(ts), max=max(ts), iqr_rel=(q[2] - q[0]) / med, n=len(ts))

def paired_ratio(a, b):
    "Summary of the per-round ratios a[i] / b[i] of two interleaved timings: robust to load that drifts between rounds."
    return summary([x / y for x, y in zip(a, b)])

def fmt_time(s):
    "Seconds as a short human string."
    return f'{s*1e3:.3g} ms' if s < 1 else f'{s:.3g} s'

def rss_kb():
    "Resident set size of this process (kB), from /proc/self/status."
    return _status('VmRSS')

def hwm_kb():
    "Peak resident set size of this process (kB) since start or the last `reset_hwm()`."
    return _status('VmHWM')

def reset_hwm():
    "Reset the kernel's peak-RSS counter to the current RSS (Linux >= 4.0); False if not allowed."
    try:
        with open('/proc/self/clear_refs', 'w') as f: f.write('5')
        return True
    except OSError: return False

def _status(key):
    try:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith(key + ':'): return int(line.split()[1])
    except OSError: return None

def write_json(obj, path):
    "Write `obj` as indented JSON."
    Path(path).write_text(json.dumps(obj, indent=1, default=float) + '\n')

def json_arg(argv=None):
    "The path after `--json` on the command line, or None."
    argv = sys.argv[1:] if argv is None else argv
    return argv[argv.index('--json') + 1] if '--json' in argv else None

def gc_share(step, steps=3):
    "Fraction of the time of `steps` calls of `step` (plus a final collection) spent in the cyclic garbage collector."
    spent, t = [0.0], [0.0]
    def cb(phase, info):
        if phase == 'start': t[0] = time.perf_counter()
        else: spent[0] += time.perf_counter() - t[0]
    gc.collect()
    gc.callbacks.append(cb)
    try:
        t0 = time.perf_counter()
        for _ in range(steps): step()
        gc.collect()
        total = time.perf_counter() - t0
    finally: gc.callbacks.remove(cb)
    return spent[0] / total

def top_functions(step, n=6, collect=True):
    "cProfile one call of `step` (and a final gc.collect()); return the `n` functions with the most own time as (name, share)."
    gc.collect()
    pr = cProfile.Profile()
    pr.enable(); step()
    if collect: gc.collect()
    pr.disable()
    st = pstats.Stats(pr, stream=io.StringIO())
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])
    total = sum(v[2] for _, v in rows)
    name = lambda f: f'{Path(f[0]).name}:{f[1]}({f[2]})' if f[0] != '~' else f[2]
    return [(name(f), v[2] / total) for f, v in rows[:n]]

class WorkerProcess:
    "This script again, as `script FLAG THREADS *ARGS`, in a process of its own (its own threads, its own heap), answering one line per request."
    def __init__(self, script, threads, flag='--torch-worker', args=(), python=None):  # python: another interpreter (a venv)
        self.p = subprocess.Popen([python or sys.executable, str(script), flag, str(threads), *map(str, args)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self._ask('info'))
    def _ask(self, line):
        self.p.stdin.write(line + '\n'); self.p.stdin.flush()
        out = self.p.stdout.readline()
        if not out: raise RuntimeError(f'worker {self.p.args[2]} died on {line!r}')
        return out
    def block(self, key):
        "Set up the workload `key` in the worker; return an object whose `timed_block(n)` is the seconds n of its steps take there."
        self._ask(f'setup {key}')
        ask = self._ask
        class Block:
            def timed_block(self, n): return float(ask(f'run {key} {n}'))
        return Block()
    def close(self): self.p.stdin.close(); self.p.wait()

def serve_worker(info, make_step, clock=time.perf_counter):
    "The worker's side of `WorkerProcess`: answer `info` (the dict `info()`), `setup KEY` (`make_step(KEY)`) and `run KEY n` (the seconds n steps take, by `clock`), one line each, from stdin."
    steps = {}
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == 'info': out = json.dumps(info())
        elif cmd == 'setup': steps[args[0]] = make_step(args[0]); out = 'ok'
        else:
            f, n = steps[args[0]], int(args[1])
            t0 = clock()
            for _ in range(n): f()
            out = repr(clock() - t0)
        print(out, flush=True)
