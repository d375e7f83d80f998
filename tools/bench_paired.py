"""Paired differences (2,000 seeded bootstrap rounds) between systems on the items all of them have."""
import json, sys
import numpy as np
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r['system'], {})[r['item']] = r
items = sorted(set.intersection(*[set(v) for v in by.values()]))
def val(r, m):
    if m == 'hgood':
        j = r.get('judge'); return float(bool(j.get('HGood'))) if j else np.nan
    return float(bool(r[m]))
for a, b in [('qwen-ft.gguf', 'qwen2.5-coder-0.5b-instruct-q4km'), ('qwen-ft.gguf', 'default'), ('qwen2.5-coder-0.5b-instruct-q4km', 'default')]:
    out = []
    for m in ['rpass', 'localization', 'model_share', 'hgood']:
        rng = np.random.default_rng(0)
        d = np.array([val(by[a][i], m) - val(by[b][i], m) for i in items])
        d = d[~np.isnan(d)]
        boots = np.sort(d[rng.integers(0, len(d), (2000, len(d)))].mean(1))
        out.append('%s %+.2f [%+.2f, %+.2f]' % (m, d.mean(), boots[50], boots[1949]))
    print(f'{a} - {b} (n={len(items)}): ' + '; '.join(out))
