"""Wall time and peak memory of :func:`qutip_mmi.spectrum`, one point per process.

LMG (exchange 3, gamma 1) at h = 0.5, Gamma = 2: the six slowest eigenvalues
(``which="slowest"``: largest real parts, the propagator route) and the six
nearest zero (the default, shift-invert), steady state excluded, beside
:func:`scipy.sparse.linalg.eigs` in shift-invert mode on the :mod:`qutip.piqs`
Liouvillian (nds^2 space) where it fits.

Usage::

    python benchmarks/bench_spectrum.py              # N = 20, 40 (+ piqs), 100
    python benchmarks/bench_spectrum.py --big        # adds N = 200 (slowest only)
    python benchmarks/bench_spectrum.py --N 60 80    # chosen sizes (no piqs)
    python benchmarks/bench_spectrum.py --which slowest   # one kind only

Prints one JSON line per point and a Markdown table for benchmarks/RESULTS.md.
"""

import argparse
import json
import platform
import subprocess
import sys
import time

OURS = r"""
import json, resource, time
import numpy as np
import qutip_mmi as qm
N, which = {N}, {which!r}
model = qm.LMG(N, field=0.5, Gamma=2.0)
t0 = time.perf_counter()
res = qm.spectrum(model, k=6, which=which, options={{"force_memory": True}})
sec = time.perf_counter() - t0
print(json.dumps(dict(N=N, route=f"qutip_mmi.spectrum ({{which}})", seconds=sec,
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      method=res.method, gap=res.gap,
                      eigenvalues=[[z.real, z.imag] for z in res.eigenvalues],
                      max_residual=float(res.residuals.max()),
                      zero=abs(res.zero_eigenvalue), info=res.info)))
"""

PIQS = r"""
import json, resource, time, warnings
import numpy as np
import scipy.sparse.linalg as spl
import qutip_mmi as qm
from qutip_mmi.steadystate import piqs_route
from qutip_mmi._resources import limit_blas_threads
N = {N}
model = qm.LMG(N, field=0.5, Gamma=2.0)
t0 = time.perf_counter()
L = piqs_route.liouvillian(model).data.as_scipy().tocsc()
t_build = time.perf_counter() - t0
sigma = 0.0
with limit_blas_threads(1):
    try:
        vals = spl.eigs(L, k=7, sigma=0.0, which="LM", return_eigenvectors=False)
    except RuntimeError:  # exactly singular at 0 (the padded space): a tiny shift
        sigma = 1e-6
        vals = spl.eigs(L, k=7, sigma=sigma, which="LM", return_eigenvectors=False)
sec = time.perf_counter() - t0
vals = vals[np.argsort(np.abs(vals))]
print(json.dumps(dict(N=N, route="piqs Liouvillian + scipy eigs (shift-invert)",
                      seconds=sec, build_seconds=t_build, sigma=sigma, size=L.shape[0],
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      eigenvalues=[[z.real, z.imag] for z in vals])))
"""


def run(code, timeout=1800):
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s"}
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr else "failed"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true", help="add N = 200 (default off)")
    ap.add_argument("--N", type=int, nargs="*", help="sizes (default 20 40 100)")
    ap.add_argument("--piqs-max", type=int, default=40,
                    help="largest N for the piqs-route eigs (default 40)")
    ap.add_argument("--which", choices=["both", "slowest", "nearest"], default="both")
    args = ap.parse_args()
    sizes = args.N or [20, 40, 100] + ([200] if args.big else [])
    print(f"# {platform.node()} {platform.processor()} python {platform.python_version()}")
    rows = []
    for N in sizes:
        kinds = ["slowest", "nearest"] if args.which == "both" else [args.which]
        if N >= 200 and args.which == "both":
            kinds = ["slowest"]  # nearest (shift-invert GMRES): ~40 min, RESULTS.md
        for which in kinds:
            ours = run(OURS.format(N=N, which=which))
            print(json.dumps(ours), flush=True)
            rows.append(ours)
        if N <= args.piqs_max and not args.N:
            ref = run(PIQS.format(N=N))
            print(json.dumps(ref), flush=True)
            rows.append(ref)
    print("\n| N | route | seconds | peak GiB | slowest eigenvalues | note |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| | | | | | {r['error']} |")
            continue
        ev = ", ".join(f"{a:.6f}{b:+.6f}i" for a, b in r["eigenvalues"][:3])
        note = (f"max residual {r['max_residual']:.1e}, {r['method']}"
                if "max_residual" in r else f"size {r['size']}, sigma {r['sigma']}")
        print(f"| {r['N']} | {r['route']} | {r['seconds']:.3g} | {r['peak_gib']:.2f} | "
              f"{ev} | {note} |")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - t:.0f} s)")
