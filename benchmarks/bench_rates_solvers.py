"""Linear solvers for the rate equations (h = 0 LMG), side by side (issue 16).

Usage::

    python benchmarks/bench_rates_solvers.py                 # N = 1600, 3200
    python benchmarks/bench_rates_solvers.py --N 1600 6400 --solvers nested pardiso
    python benchmarks/bench_rates_solvers.py --repo /tmp/prev --N 1600   # another checkout

Each (solver, N) point runs in a fresh subprocess (its peak RSS is its own,
``ru_maxrss``) and solves the pinned rate system of LMG(N, field=0,
Gamma=2) built by the package; the time is the linear solve only (assembly and
the pinned-state search are common to all solvers and printed separately).
Solvers:

* ``nested``  -- the package's multifrontal nested dissection (``_nested``);
* ``superlu`` -- scipy's SuperLU (MMD on A^T + A), the small-system default;
* ``pardiso`` -- MKL PARDISO through ``pypardiso`` (one MKL thread);
* ``amg``     -- pyamg smoothed aggregation (nonsymmetric) as a GMRES
  preconditioner on the system with the pinned row and column removed;
* ``route``   -- the whole ``steady_state(model, "rates")`` call (default
  options), for old-vs-new comparisons with ``--repo``.

MUMPS (``python-mumps``) and UMFPACK (``scikit-umfpack``) have no wheels that
install here (python-mumps 0.0.2 is built against NumPy 1.x; 0.0.4 and
scikit-umfpack are source-only and need a compiler plus MUMPS/SuiteSparse).
"""

import argparse
import json
import os
import subprocess
import sys
import time

POINT = r"""
import json, resource, time, warnings, os
os.environ.setdefault("MKL_NUM_THREADS", "1")
import numpy as np
import qutip_mmi as qm
N, solver = {N}, {solver!r}
model = qm.LMG(N, field=0.0, Gamma=2.0)
t0 = time.perf_counter()
if solver == "route":
    st = qm.steady_state(model, "rates", options={{"force_memory": True}})
    sec = time.perf_counter() - t0
    out = dict(N=N, solver=solver, seconds=sec, setup=0.0,
               peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
               residual=st.info.residual, mmi=qm.mutual_information(st, per_unit=True),
               extra=str(st.info.extra.get("linear_solver")))
    print(json.dumps(out)); raise SystemExit
from qutip_mmi.steadystate.liouvillian import QLayout, assemble, state_from_vector
from qutip_mmi.steadystate._pinning import pin_candidates, pin_system
from qutip_mmi.steadystate._common import relative_residual
from qutip_mmi._resources import limit_blas_threads
layout = QLayout(N, [0])
W = assemble(model, layout).real.tocsr()
k0 = int(pin_candidates(W)[0])
setup = time.perf_counter() - t0
n = W.shape[0]
t0 = time.perf_counter()
extra = ""
with limit_blas_threads(1):
    if solver in ("nested", "superlu", "pardiso"):
        A = pin_system(W, k0)
        rhs = np.zeros(n); rhs[k0] = 1.0
        if solver == "nested":
            from qutip_mmi.steadystate._nested import grid_solve
            coords = (np.rint(N / 2 - layout.j).astype(np.int64),
                      np.rint(layout.m + N / 2).astype(np.int64))
            x, stored = grid_solve(A, rhs, coords)
            extra = f"{{stored}} stored"
        elif solver == "superlu":
            import scipy.sparse.linalg as spl
            lu = spl.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")
            x = lu.solve(rhs)
            extra = f"{{lu.L.nnz + lu.U.nnz}} stored"
        else:
            import pypardiso
            x = pypardiso.spsolve(A.tocsr(), rhs)
    elif solver == "amg":
        # two passes: the first pinned candidate may carry ~1e-16 of the
        # largest weight (fine for a direct solve, hopeless for a Krylov
        # one); the second pass re-pins at the heaviest state of the first
        import pyamg
        its = []
        for tol in (1e-6, 1e-13):
            keep = np.ones(n, bool); keep[k0] = False
            Ar = W[keep][:, keep].tocsr()
            br = -W[keep][:, [k0]].toarray().ravel()
            ml = pyamg.smoothed_aggregation_solver(Ar, symmetry="nonsymmetric",
                                                   max_coarse=2000)
            res = []
            xr = ml.solve(br, tol=tol, accel="gmres", maxiter=300, residuals=res)
            x = np.empty(n); x[keep] = xr; x[k0] = 1.0
            its.append(f"{{len(res) - 1}} its to {{res[-1] / res[0]:.0e}}")
            k0 = int(np.argmax(x))
        extra = ", ".join(its) + f"; op. complexity {{ml.operator_complexity():.2f}}"
sec = time.perf_counter() - t0
x = x / x.sum()
try:
    mmi = qm.mutual_information(state_from_vector(N, layout, x), per_unit=True)
except ValueError as exc:   # an unconverged iterative solve: not a state
    mmi, extra = float("nan"), extra + f"; not a state ({{exc}})"[:80]
out = dict(N=N, solver=solver, seconds=sec, setup=setup,
           peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
           residual=relative_residual(W, x), mmi=mmi, extra=extra)
print(json.dumps(out))
"""


def run(code, env, timeout):
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s"}
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr else "failed",
                "seconds": time.perf_counter() - t}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, nargs="+", default=[1600, 3200])
    ap.add_argument("--solvers", nargs="+",
                    default=["nested", "superlu", "pardiso", "amg"])
    ap.add_argument("--repo", default=None, help="checkout to import qutip_mmi from")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    env = dict(os.environ)
    if args.repo:
        env["PYTHONPATH"] = args.repo + os.pathsep + env.get("PYTHONPATH", "")
    rows = []
    for N in args.N:
        for _ in range(args.repeat):
            for solver in args.solvers:   # interleaved: solvers share the load
                res = run(POINT.format(N=N, solver=solver), env, args.timeout)
                res.setdefault("N", N), res.setdefault("solver", solver)
                print(json.dumps(res), flush=True)
                rows.append(res)
    print("\n| N | solver | solve s | assembly+pin s | peak GiB | residual | I_M/N | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['N']} | {r['solver']} | failed: {r['error']} | | | | | |")
            continue
        print(f"| {r['N']} | {r['solver']} | {r['seconds']:.2f} | {r['setup']:.2f} | "
              f"{r['peak_gib']:.2f} | {r['residual']:.1e} | {r['mmi']:.12f} | {r['extra']} |")


if __name__ == "__main__":
    main()
