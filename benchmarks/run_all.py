"""Run every benchmark, write benchmarks/results.json and images/tensor_step_time.png, print a summary.

Usage: python benchmarks/run_all.py [--quick] [--keep-openblas-env] [--out FILE.json]
(with --out, the figure goes beside FILE.json instead of images/tensor_step_time.png)

Each script runs in its own process (a fresh heap and BLAS per script). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
which some machines here set for older OpenBLAS builds and which slow a current numpy, are removed from the
children's environment unless --keep-openblas-env is given; the values found are recorded in the results, and
each script records the BLAS kernel it actually ran (threadpoolctl)."""
import json, os, subprocess, sys, tempfile, time
from datetime import datetime, timezone
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import ROOT, write_json, machine_info

# name -> (script, extra arguments)
SCRIPTS = dict(scalar=('scalar', []), tensor=('tensor', ['--no-extras']),
               tensor_1thread=('tensor', ['--threads', '1', '--no-memory']), memory=('memory', []))

def run_script(name, env, quick):
    "Run one entry of SCRIPTS in a child process, echo its report, return its JSON results (or the error)."
    script, args = SCRIPTS[name]
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / f'{name}.json'
        cmd = [sys.executable, str(HERE / f'{script}.py'), '--json', str(out)] + args + (['--quick'] if quick else [])
        print(f"\n===== {' '.join(['benchmarks/' + script + '.py'] + args)} =====", flush=True)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=env)
        took = time.perf_counter() - t0
        res = json.loads(out.read_text()) if out.exists() else dict(error=f'exit code {r.returncode}, no results')
        res.update(seconds=took, returncode=r.returncode)
        return res

def plot(results, path):
    "Step time against batch size for the tensor systems, with the FLOP limit, for each thread count; saved to `path`."
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    runs = [results[k] for k in ('tensor', 'tensor_1thread') if 'steps' in results.get(k, {})]
    fig, axes = plt.subplots(1, len(runs), figsize=(4.6 * len(runs), 3.6), squeeze=False)
    style = dict(ours='o-', numpy='s-', torch='^-', matmuls_alone='k:')
    label = dict(ours='our engine', numpy='hand-written NumPy', torch='PyTorch (CPU)', matmuls_alone="the step's matmuls alone")
    for ax, t in zip(axes[0], runs):
        Bs = t['batches']
        for k in t['systems'] + ['matmuls_alone']:
            med = [t['steps'][str(B)]['times'][k]['median'] * 1e3 for B in Bs]
            tk = [t['steps'][str(B)]['times'][k] for B in Bs]
            bars = [[(x['median'] - x['q1']) * 1e3 for x in tk], [(x['q3'] - x['median']) * 1e3 for x in tk]]
            ax.errorbar(Bs, med, yerr=bars, fmt=style[k], label=label[k], capsize=2, ms=4)
        ax.plot(Bs, [t['steps'][str(B)]['flop_limit_s'] * 1e3 for B in Bs], 'k--', lw=1, label='FLOP limit (1024³ matmul rate)')
        ax.set(xscale='log', yscale='log', xlabel='batch size', ylabel='time per training step (ms)',
               title=f"{t['threads']} BLAS thread{'s' if t['threads'] > 1 else ''}")
        ax.set_xticks(Bs, [str(B) for B in Bs]); ax.minorticks_off()
        ax.legend(fontsize=7)
    m = results['machine']
    fig.suptitle(f"MLP 784-256-256-10, float32, one SGD step; {m['cpu']}, {m['usable_cpus']} cores; "
                 "medians of interleaved blocks, bars: interquartile range", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)

def summarize(res):
    "Print the headline ratios."
    print('\n===== summary =====')
    s = res.get('scalar', {})
    for k, w in s.get('workloads', {}).items():
        if 'speedup' in w: print(f"scalar ({k}) {w['workload']}: ours {w['speedup']:.1f}x faster than micrograd")
    if 'chain' in s:
        c = s['chain']
        ours = f"{c['ours_seconds']:.2f} s" if c.get('ours_seconds') else c.get('ours', 'failed')
        deep = c.get('micrograd_raised_limit', {})
        print(f"scalar (c) chain of {c['n']:,}: ours {ours}; micrograd: {c['micrograd'].split(':')[0]}"
              + (f", {deep['seconds']:.2f} s with the recursion limit raised" if deep.get('ok') else ''))
    for name in ('tensor', 'tensor_1thread'):
        t = res.get(name, {})
        for B, r in t.get('steps', {}).items():
            line = f"tensor, {t['threads']} thread(s), B={B}: ours/numpy {r['ours_over_numpy']:.2f}"
            if 'ours_over_torch' in r: line += f", ours/torch {r['ours_over_torch']:.2f}"
            line += '; share of the FLOP limit: ' + ', '.join(f'{k} {v:.0%}' for k, v in r['fraction_of_limit'].items())
            print(line)
    if 'memory' in res and 'all_flat' in res['memory']: print(f"memory flat over training: {res['memory']['all_flat']}")

def main(argv):
    quick = '--quick' in argv
    out = Path(argv[argv.index('--out') + 1]) if '--out' in argv else HERE / 'results.json'
    env = dict(os.environ)
    found = {k: env.get(k) for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE')}
    if '--keep-openblas-env' not in argv:
        for k in found: env.pop(k, None)
    # the default run measures the machine's own thread count, whatever the caller (e.g. tools/run_nb.py) pinned
    for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'): env.pop(k, None)
    cmd = 'python benchmarks/run_all.py' + (' --quick' if quick else '')
    res = dict(generated=datetime.now(timezone.utc).isoformat(timespec='seconds'), command=cmd, quick=quick,
               openblas_env_found=found, openblas_env_removed='--keep-openblas-env' not in argv,
               machine=machine_info())
    t0 = time.perf_counter()
    for name in SCRIPTS: res[name] = run_script(name, env, quick)
    res['seconds'] = time.perf_counter() - t0
    write_json(res, out)
    print(f'\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}')
    if 'steps' in res['tensor'] or 'steps' in res['tensor_1thread']:
        # the book's figure belongs to the book's results file; other runs put theirs beside their own file
        img = ROOT / 'images' / 'tensor_step_time.png' if out == HERE / 'results.json' else out.with_suffix('.png')
        plot(res, img)
        print(f'wrote {img.relative_to(ROOT) if img.is_relative_to(ROOT) else img}')
    summarize(res)
    print(f"total {res['seconds']:.0f} s")
    return 0 if all(res[n].get('returncode') == 0 for n in SCRIPTS) else 1

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
