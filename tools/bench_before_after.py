"""Before/after the two hint rules, paired on the items both runs have (2,000 seeded bootstrap rounds).
Usage: python before_after.py OLD_ROWS NEW_ROWS"""
import json, sys
import numpy as np

def load(path):
    by = {}
    for line in open(path):
        r = json.loads(line)
        by.setdefault(r["system"], {})[r["item"]] = r
    return by

old, new = load(sys.argv[1]), load(sys.argv[2])

def val(r, m):
    if m == "hgood":
        j = r.get("judge")
        return float(bool(j.get("HGood"))) if j else np.nan
    return float(bool(r[m]))

for system in sorted(set(old) & set(new)):
    items = sorted(set(old[system]) & set(new[system]))
    out = []
    for m in ["rpass", "model_share", "hgood"]:
        a = np.array([val(old[system][i], m) for i in items])
        b = np.array([val(new[system][i], m) for i in items])
        keep = ~(np.isnan(a) | np.isnan(b))
        d = (b - a)[keep]
        boots = np.sort(d[np.random.default_rng(0).integers(0, len(d), (2000, len(d)))].mean(1))
        out.append(f"{m} {a[keep].mean():.2f} -> {b[keep].mean():.2f} ({d.mean():+.2f} [{boots[50]:+.2f}, {boots[1949]:+.2f}])")
    print(f"{system} (n={len(items)}): " + "; ".join(out))
