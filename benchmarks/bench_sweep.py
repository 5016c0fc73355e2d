"""Timings of the figure sweeps.

    python benchmarks/bench_sweep.py            # default Fig. 1b sweep (+ Fig. 1a, 2)
    python benchmarks/bench_sweep.py --paper    # also the paper's Fig. 1a sweep (N <= 1600)
    python benchmarks/bench_sweep.py --paper-points 3   # only 3 Gammas per N of it

Prints one line per sweep; see benchmarks/RESULTS_sweep.md for measured numbers.
"""

import argparse
import platform
import time

import numpy as np

from qutip_mmi import LMG
from qutip_mmi.figures import DEFAULTS, PAPER
from qutip_mmi.groundstate import ground_state_mmi
from qutip_mmi.sweep import sweep


def timed_sweep(label, field, Ns, Gammas, map_name="serial"):
    t0 = time.perf_counter()
    res = sweep(LMG(Ns[0], field=field), {"N": list(Ns), "Gamma": list(Gammas)},
                map=map_name)
    total = time.perf_counter() - t0
    per_N = {}
    for row in res.rows:
        per_N[row["N"]] = per_N.get(row["N"], 0.0) + row["seconds"]
    detail = ", ".join(f"N={n}: {s:.2f} s" for n, s in per_N.items())
    print(f"{label}: {len(res)} points in {total:.2f} s wall ({detail}); "
          f"max residual {np.nanmax(res.column('residual')):.1e}", flush=True)
    return res, total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--paper", action="store_true")
    p.add_argument("--paper-points", type=int, default=None,
                   help="use only this many Gammas of the paper grid")
    p.add_argument("--map", default="serial")
    args = p.parse_args()
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}")

    d = DEFAULTS["1b"]
    timed_sweep("Fig. 1b default (h=0.5, blocks)", 0.5, d["Ns"], d["Gammas"], args.map)
    d = DEFAULTS["1a"]
    timed_sweep("Fig. 1a default (h=0, rates)", 0.0, d["Ns"], d["Gammas"], args.map)
    d = DEFAULTS["2"]
    t0 = time.perf_counter()
    n = 0
    for N in PAPER["2"]["Ns"]:
        for h in PAPER["2"]["fields"]:
            ground_state_mmi(N, -1.0, h)
            n += 1
    print(f"Fig. 2 paper (ground state, N <= 1e4): {n} points in "
          f"{time.perf_counter() - t0:.2f} s", flush=True)
    if args.paper:
        d = PAPER["1a"]
        G = d["Gammas"]
        if args.paper_points:
            G = G[np.linspace(0, len(G) - 1, args.paper_points).astype(int)]
        timed_sweep("Fig. 1a paper (h=0, rates, N <= 1600)", 0.0, d["Ns"], G, args.map)


if __name__ == "__main__":
    main()
