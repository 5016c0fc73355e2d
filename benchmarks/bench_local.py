"""Cost of local channels in the block engine: LMG at N = 160, h = 0.5.

Usage::

    python benchmarks/bench_local.py                       # this checkout
    python benchmarks/bench_local.py --prev /tmp/prev      # also an older checkout
    python benchmarks/bench_local.py --N 320 --repeat 1

Runs, interleaved and each in a fresh subprocess (own peak RSS): the plain LMG
(``bench_engine.py``'s row) with this checkout and, with ``--prev``, with the
given checkout (``git worktree add /tmp/prev <commit>``), then LMG with local
bit flips (``bitflip``) and with a general complex local channel. Prints one
JSON line per run and a Markdown table.
"""

import argparse
import json
import os
import subprocess
import sys

POINT = r"""
import json, resource, time
import qutip_mmi as qm
N, kind = {N}, {kind!r}
if kind == "plain":
    model = qm.LMG(N, field=0.5, Gamma=2.0)
elif kind == "bitflip":
    model = qm.LMG(N, field=0.5, Gamma=2.0, bitflip=0.1)
else:  # a general complex channel next to the pumping
    model = qm.PIModel(N, dict(qm.LMG(N, field=0.5).hamiltonian),
                       qm.LMG(N, Gamma=2.0).collective, pumping=1.0,
                       local=[qm.LocalJump(0.1, 0.3j, 1.0, 0.5, 0.2)])
t0 = time.perf_counter()
st = qm.steady_state(model, method="blocks", options={{"force_memory": True}})
sec = time.perf_counter() - t0
print(json.dumps(dict(N=N, kind=kind, seconds=sec, iterations=st.info.iterations,
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      residual=st.info.residual,
                      mmi_per_unit=qm.mutual_information(st, per_unit=True))))
"""


def run(kind, N, path):
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", POINT.format(N=N, kind=kind)],
                       capture_output=True, text=True, env=env, cwd="/tmp")
    if r.returncode:
        return {"N": N, "kind": kind, "error": r.stderr.strip().splitlines()[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, default=160)
    ap.add_argument("--prev", default=None, help="path of an older checkout")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    for _ in range(args.repeat):
        runs = ([("plain", args.prev, "previous")] if args.prev else []) + \
            [("plain", here, "this"), ("bitflip", here, "this"), ("general", here, "this")]
        for kind, path, label in runs:
            res = {**run(kind, args.N, path), "code": label}
            print(json.dumps(res), flush=True)
            rows.append(res)
    print("\n| N | model | code | seconds | iterations | peak GiB | I_M/N |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['N']} | {r['kind']} | {r['code']} | failed: {r['error']} | | | |")
            continue
        print(f"| {r['N']} | {r['kind']} | {r['code']} | {r['seconds']:.2f} | "
              f"{r['iterations']} | {r['peak_gib']:.2f} | {r['mmi_per_unit']:.10f} |")


if __name__ == "__main__":
    main()
