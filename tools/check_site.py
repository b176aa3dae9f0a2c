"""Check the docs site as readers will see it, after nbdev's doc processing has written `_proc/`.

Usage: python -c "from nbdev.serve import proc_nbs; proc_nbs()" && python tools/check_site.py

It fails (exit 1, one line per defect) when
- a `#| export` cell defines a function or class: the page would show only its signature, so the code the chapter
  teaches must be exported with `#| exports` (shown) or, for plumbing, `#| exporti` (hidden);
- a page documents a symbol twice (an explicit `show_doc` beside the one nbdev adds), or a docstring is nbdev's filler;
- a public name is defined in two modules of the package: nbdev's backtick links and source links resolve bare
  names, so one of the two would link to the other's definition;
- a page of the scalar part (chapters 1-4) links to the tensor part's definitions (a bare name meant for the scalar
  side resolving to a tensor-side definition)."""
import json, re, sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILLER = ('Call self as a function.', 'Return self', 'Initialize self.  See help(type(self))')

def _src(cell): return ''.join(cell['source'])

def check_directives(nbs):
    for f in nbs:
        for c in json.loads(f.read_text())['cells']:
            s = _src(c)
            if c['cell_type'] == 'code' and re.match(r'#\|\s*export\s*$', s.split('\n')[0]) and re.search(r'^(def|class) ', s, re.M):
                yield f"{f.name}: a '#| export' cell defines code the page will not show (use '#| exports'): {s.splitlines()[1][:70]!r}"

def check_pages(pages):
    for f in pages:
        seen = Counter()
        for c in json.loads(f.read_text())['cells']:
            if c['cell_type'] != 'code': continue
            for m in re.finditer(r'^show_doc\(([^)]*)\)', _src(c), re.M): seen[m.group(1)] += 1
            for o in c.get('outputs', []):
                text = ''.join(o.get('data', {}).get('text/markdown', []))
                for filler in FILLER:
                    if filler in text: yield f"{f.name}: nbdev's filler docstring {filler!r} in {_src(c).splitlines()[-1]!r}"
        for name, n in seen.items():
            if n > 1: yield f"{f.name}: {name} is documented {n} times"

def check_names():
    sys.path.insert(0, str(ROOT))
    from autograd._modidx import d
    where = defaultdict(set)
    for mod, syms in d['syms'].items():
        for k in syms:
            name = k[len(mod) + 1:]
            if not name.split('.')[0].startswith('_'): where[name].add(mod)
    for name, mods in sorted(where.items()):
        if len(mods) > 1: yield f"the public name {name} is defined in {len(mods)} modules ({', '.join(sorted(mods))}): its links resolve to one of them"

SCALAR_PAGES = ('01_', '02_', '03_', '04_')
TENSOR_PAGES = ('tensor_', 'torch', 'functional')

def check_links(pages):
    for f in pages:
        if not f.name.startswith(SCALAR_PAGES): continue
        for c in json.loads(f.read_text())['cells']:
            if c['cell_type'] != 'markdown': continue
            for m in re.finditer(r'\[`([^`]+)`\]\(https?://[^)]*/([a-z_]+)\.html#', _src(c)):
                if m.group(2).startswith(TENSOR_PAGES):
                    yield f"{f.name}: `{m.group(1)}` links to the tensor part's page {m.group(2)}.html"

if __name__ == '__main__':
    nbs = sorted((ROOT / 'nbs').glob('[0-9]*.ipynb'))
    pages = sorted((ROOT / '_proc').glob('*.ipynb'))
    if not pages: sys.exit('check_site: no _proc/ pages: run nbdev\'s doc processing first (see this file\'s docstring)')
    problems = [*check_directives(nbs), *check_pages(pages), *check_names(), *check_links(pages)]
    for p in problems: print('check_site:', p)
    if problems: sys.exit(f'check_site: {len(problems)} problem(s) on the docs site')
    print(f'check_site: {len(pages)} pages: code shown, each symbol documented once, every name defined once')
