"""Convolutions (chapter 15) against PyTorch on the CPU: one training step of the chapter's CNN, and conv2d alone.

Usage: python benchmarks/conv.py [--quick] [--threads N] [--json out.json]
       (default: numpy's BLAS thread count for both systems; writes benchmarks/conv.json unless --json is given)

Workloads, float32, on fixed random data (timing does not depend on the pixel values):
  step    one SGD step (momentum 0.9) of `autograd.cnn.mnist_cnn` at batch 64: forward, cross-entropy, backward,
          update; PyTorch runs the same network (Conv2d without bias, BatchNorm2d, ReLU, MaxPool2d, twice, then
          Linear 3136-128, ReLU, Linear 128-10) with torch.optim.SGD;
  conv    conv2d forward and backward (gradients of input and weight) alone, at the shapes of the network's two
          layers and two more (a strided one and a 5x5 one).
PyTorch runs in a worker process of its own with torch.set_num_threads equal to our BLAS thread count, and times its
own blocks (as in benchmarks/tensor.py). Blocks of the two systems are interleaved, their order alternating; a time
is the median over blocks, a ratio the median over rounds of the ratio of the two blocks of a round. With more than
one thread each block starts after a 0.25 s pause and one untimed step (idle BLAS/OpenMP threads spin for a while).
The profile is cProfile's own time per function over a few of our steps, grouped by function."""
import json, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (WorkerProcess, serve_worker, ROOT, interleaved, summary, paired_ratio, fmt_time, machine_info, print_machine, json_arg, write_json,
                     numpy_blas_threads, limit_threads, top_functions)
import numpy as np

BATCH = 64
LR = 0.1
SETTLE = 0.25
# (N, C, H, W, out_channels, kernel, stride, padding): the network's two layers, a strided layer, a 5x5 layer
CONVS = [(64, 1, 28, 28, 32, 3, 1, 1), (64, 32, 14, 14, 64, 3, 1, 1), (64, 64, 14, 14, 64, 3, 2, 1), (32, 16, 32, 32, 32, 5, 1, 2)]

def data(seed=0, n=BATCH):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)

def conv_data(shape, seed=0):
    n, c, h, w, o, k, s, p = shape
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c, h, w), dtype=np.float32), rng.standard_normal((o, c, k, k), dtype=np.float32) * 0.1

def make_ours_step():
    from autograd.tensor.engine import Tensor
    from autograd.tensor.nn import cross_entropy
    from autograd.tensor.optim import SGD
    from autograd.cnn import mnist_cnn
    model = mnist_cnn(0)
    opt = SGD(model.parameters(), lr=LR, momentum=0.9)
    X, y = data()
    def step():
        loss = cross_entropy(model(Tensor(X)), y)
        opt.zero_grad(); loss.backward(); opt.step()
    return step

def make_ours_conv(shape):
    from autograd.tensor.engine import Tensor
    from autograd.tensor.nn import functional as F
    x0, w0 = conv_data(shape)
    s, p = shape[6], shape[7]
    x, w = Tensor(x0, requires_grad=True), Tensor(w0, requires_grad=True)
    def step():
        x.grad = w.grad = None
        y = F.conv2d(x, w, stride=s, padding=p)
        y.backward(np.ones(y.shape, np.float32))
    return step

def make_torch_step(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 49, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    X, y = (torch.from_numpy(a) for a in data())
    X = X.reshape(-1, 1, 28, 28)
    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward(); opt.step()
    return step

def make_torch_conv(torch, shape):
    x0, w0 = conv_data(shape)
    s, p = shape[6], shape[7]
    x, w = torch.from_numpy(x0).requires_grad_(), torch.from_numpy(w0).requires_grad_()
    def step():
        x.grad = w.grad = None
        y = torch.nn.functional.conv2d(x, w, stride=s, padding=p)
        y.backward(torch.ones_like(y))
    return step

def torch_or_none():
    try:
        import torch
        return torch
    except ImportError: return None

class TorchWorker(WorkerProcess):
    "PyTorch in a process of its own; `block(key).timed_block(n)` returns the seconds of n steps of a workload, timed there."
    def __init__(self, threads): super().__init__(__file__, threads)

def torch_worker(threads):
    torch = torch_or_none()
    limit_threads(threads)  # and warms numpy's BLAS up, as the parent does
    torch.set_num_threads(threads)
    serve_worker(lambda: dict(torch=torch.__version__, threads=torch.get_num_threads()),
                 lambda key: make_torch_step(torch) if key == 'step' else make_torch_conv(torch, tuple(map(int, key.split(',')))))

def compare(ours, worker, key, repeats, number, threads):
    "Interleaved blocks of ours and (if present) PyTorch's workload `key`: summaries and the paired ratio."
    fns = dict(ours=ours)
    if worker: fns['torch'] = worker.block(key)
    times = interleaved(fns, repeats=repeats, number=number, settle=SETTLE if threads > 1 else 0.0)
    r = dict(times={k: summary(v) for k, v in times.items()})
    if worker: r['ours_over_torch'] = paired_ratio(times['ours'], times['torch'])
    return r

def main(quick=False, threads=None):
    threads = threads or numpy_blas_threads()
    limit_threads(threads)  # and warms numpy's BLAS up (see `_common.warm_blas`)
    res = dict(machine=machine_info(), threads=threads, batch=BATCH, quick=quick)
    print_machine(res['machine'])
    worker = TorchWorker(threads) if torch_or_none() else None
    if worker:
        res['torch'] = worker.info
        print(f"PyTorch {worker.info['torch']} in a worker process with {worker.info['threads']} thread(s); ours with {threads} BLAS thread(s)")
    else: print('PyTorch is not installed: only our times are measured (pip install torch to add the comparison)')
    repeats = 3 if quick else 9
    step = make_ours_step()
    res['step'] = compare(step, worker, 'step', repeats, 2 if quick else 5, threads)
    r = res['step']
    print(f"\nCNN training step, batch {BATCH}: ours {fmt_time(r['times']['ours']['median'])}"
          + (f", torch {fmt_time(r['times']['torch']['median'])}, ours/torch {r['ours_over_torch']['median']:.2f} "
             f"±{r['ours_over_torch']['iqr_rel']:.0%}" if worker else ''))
    res['convs'] = []
    print('\nconv2d forward + backward (input and weight gradients):')
    for shape in (CONVS[:2] if quick else CONVS):
        key = ','.join(map(str, shape))
        c = compare(make_ours_conv(shape), worker, key, repeats, 3 if quick else 10, threads)
        c['shape'] = dict(zip(['N', 'C', 'H', 'W', 'out_channels', 'kernel', 'stride', 'padding'], shape))
        res['convs'].append(c)
        print(f"  x {shape[:4]}, {shape[4]} kernels {shape[5]}x{shape[5]}, stride {shape[6]}, padding {shape[7]}: "
              f"ours {fmt_time(c['times']['ours']['median'])}"
              + (f", torch {fmt_time(c['times']['torch']['median'])}, ours/torch {c['ours_over_torch']['median']:.2f} "
                 f"±{c['ours_over_torch']['iqr_rel']:.0%}" if worker else ''))
    res['profile'] = top_functions(lambda: [step() for _ in range(3)], n=10, collect=False)
    print('\nwhere our step spends its time (cProfile, own time):')
    for name, share in res['profile']: print(f'  {share:4.0%}  {name}')
    res['machine']['loadavg_end'] = machine_info()['loadavg']
    if worker: worker.close()
    return res

if __name__ == '__main__':
    argv = sys.argv[1:]
    if argv[:1] == ['--torch-worker']: torch_worker(int(argv[1])); sys.exit(0)
    threads = int(argv[argv.index('--threads') + 1]) if '--threads' in argv else None
    res = main(quick='--quick' in argv, threads=threads)
    out = json_arg(argv) or (None if '--quick' in argv else Path(__file__).resolve().parent / 'conv.json')
    if out:
        write_json(res, out)
        print(f'wrote {out}')
