"""Time the same steady-state points on two checkouts, interleaved, in one run.

Usage::

    git worktree add /tmp/old <commit>
    git worktree add /tmp/new HEAD
    python benchmarks/bench_compare.py /tmp/old /tmp/new --points 160:0.5 1600:0 --repeat 2

Each point runs in a fresh subprocess (its own peak RSS) started in /tmp with
``PYTHONPATH=<checkout>``, so the checkout's package shadows any installed one.
Old and new alternate, so that a change in the machine's load hits both; the
ratio of the medians is what to quote (these machines vary up to 2x in time).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

POINT = r"""
import json, resource, time
import qutip_mmi as qm
N, field = {N}, {field}
t0 = time.perf_counter()
st = qm.steady_state(qm.LMG(N, field=field, Gamma=2.0), options={{"force_memory": True}})
sec = time.perf_counter() - t0
print(json.dumps(dict(file=qm.__file__, method=st.info.method, seconds=sec,
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      mmi_per_unit=qm.mutual_information(st, per_unit=True))))
"""


def run(checkout, N, field):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout))
    r = subprocess.run([sys.executable, "-c", POINT.format(N=N, field=field)],
                       capture_output=True, text=True, cwd="/tmp", env=env, check=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(os.path.abspath(checkout)), out["file"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--points", nargs="+", default=["160:0.5", "1600:0"],
                    help="N:field pairs (LMG, Gamma = 2)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    print("| N | h | route | old s (median) | new s (median) | new/old | old GiB | new GiB "
          "| I_M/N equal |")
    print("|---|---|---|---|---|---|---|---|---|")
    for point in args.points:
        N, field = int(point.split(":")[0]), float(point.split(":")[1])
        res = {"old": [], "new": []}
        for _ in range(args.repeat):
            for which in ("old", "new"):
                res[which].append(run(getattr(args, which), N, field))
        t = {k: statistics.median(r["seconds"] for r in v) for k, v in res.items()}
        mem = {k: max(r["peak_gib"] for r in v) for k, v in res.items()}
        same = abs(res["old"][0]["mmi_per_unit"] - res["new"][0]["mmi_per_unit"]) < 1e-12
        print(f"| {N} | {field:g} | {res['new'][0]['method']} | {t['old']:.2f} | "
              f"{t['new']:.2f} | {t['new'] / t['old']:.2f} | {mem['old']:.2f} | "
              f"{mem['new']:.2f} | {same} |", flush=True)


if __name__ == "__main__":
    main()
