"""Wall time and peak memory of the steady-state routes, one point per process.

Usage::

    python benchmarks/bench_engine.py            # default set (a few minutes)
    python benchmarks/bench_engine.py --big      # adds N=320 (h=0.5), N=3200 (h=0)
    python benchmarks/bench_engine.py --huge     # adds N=400 (h=0.5), N=6400 (h=0)
    python benchmarks/bench_engine.py --sweep    # adds the 51-point Gamma sweep at N=160

Prints one JSON line per point and a Markdown table for benchmarks/RESULTS.md.
Each point runs in a fresh subprocess so that its peak RSS is its own.
"""

import argparse
import json
import platform
import subprocess
import sys
import time

POINT = r"""
import json, resource, time, sys
import numpy as np
import qutip_mmi as qm
N, field, Gamma, method = {N}, {field}, {Gamma}, {method!r}
t0 = time.perf_counter()
st = qm.steady_state(qm.LMG(N, field=field, Gamma=Gamma), method=method,
                     options={{"force_memory": True}})
sec = time.perf_counter() - t0
out = dict(N=N, field=field, Gamma=Gamma, method=st.info.method, seconds=sec,
           peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
           residual=st.info.residual, iterations=st.info.iterations,
           mmi_per_unit=qm.mutual_information(st, per_unit=True),
           m=[float(v) for v in qm.magnetization(st)])
print(json.dumps(out))
"""

SWEEP = r"""
import json, resource, time
import numpy as np
import qutip_mmi as qm
solver = qm.BlockSolver()
t0 = time.perf_counter()
vals = []
for G in np.linspace(0, 5, 51):
    st = solver.solve(qm.LMG(160, field=0.5, Gamma=float(G)))
    vals.append(qm.mutual_information(st, per_unit=True))
sec = time.perf_counter() - t0
print(json.dumps(dict(N=160, field=0.5, Gamma="0..5 (51 points, warm starts)", method="blocks",
                      seconds=sec, peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      residual=None, iterations=None, mmi_per_unit=max(vals), m=None)))
"""


def run(code, timeout=1800):
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s"}
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr else "failed",
                "seconds": time.perf_counter() - t}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--huge", action="store_true",
                    help="adds N=400 at h=0.5 and N=6400 at h=0")
    ap.add_argument("--sweep", action="store_true")
    args = ap.parse_args()
    points = [(40, 0.5, 2.0, "piqs"), (40, 0.5, 2.0, "blocks"), (80, 0.5, 2.0, "blocks"),
              (160, 0.5, 2.0, "blocks"), (400, 0.0, 2.0, "rates"), (1600, 0.0, 2.0, "rates")]
    if args.big:
        points += [(320, 0.5, 2.0, "blocks"), (3200, 0.0, 2.0, "rates")]
    if args.huge:
        points += [(400, 0.5, 2.0, "blocks"), (6400, 0.0, 2.0, "rates")]
    rows = []
    for N, h, G, meth in points:
        res = run(POINT.format(N=N, field=h, Gamma=G, method=meth))
        res.setdefault("N", N), res.setdefault("method", meth), res.setdefault("field", h)
        print(json.dumps(res), flush=True)
        rows.append(res)
    if args.sweep:
        res = run(SWEEP, timeout=3600)
        print(json.dumps(res), flush=True)
        rows.append(res)
    print(f"\nMachine: {platform.machine()}, {platform.processor() or ''} "
          f"python {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n")
    print("| N | field | method | seconds | peak GiB | iterations | residual | I_M/N |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['N']} | {r['field']} | {r['method']} | failed: {r['error']} | | | | |")
            continue
        res = "" if r["residual"] is None else f"{r['residual']:.1e}"
        print(f"| {r['N']} | {r['field']} | {r['method']} | {r['seconds']:.2f} | "
              f"{r['peak_gib']:.2f} | {r['iterations'] or ''} | {res} | {r['mmi_per_unit']:.10f} |")


if __name__ == "__main__":
    main()
