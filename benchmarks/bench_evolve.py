"""Wall time and peak memory of :func:`qutip_mmi.evolve`, beside ``qutip.mesolve``
on the qutip.piqs Liouvillian, one point per process.

The case of issue 13: LMG, h = 0.5, Gamma = 2 (exchange 3, pumping 1), from all
spins down to t = 20 with 201 outputs; U(1) case h = 0.

Usage::

    python benchmarks/bench_evolve.py            # N=40 vs piqs, integrators, N=100
    python benchmarks/bench_evolve.py --skip-piqs --bdf
    python benchmarks/bench_evolve.py --big      # adds N=200 (h=0.5), N=1000 (h=0)
    python benchmarks/bench_evolve.py --only 100 # one point of ours

Prints one JSON line per point and a Markdown table for benchmarks/RESULTS.md.
"""

import argparse
import json
import platform
import subprocess
import sys

OURS = r"""
import json, resource, time
import numpy as np
from qutip import piqs
import qutip_mmi as qm
N, field, method, atol, rtol, T = {N}, {field}, {method!r}, {atol}, {rtol}, {T}
tlist = np.linspace(0, T, int(round(10 * T)) + 1)
t0 = time.perf_counter()
res = qm.evolve(qm.LMG(N, field=field, Gamma=2.0), qm.evolve.coherent_state(N, np.pi),
                tlist, options={{"method": method, "atol": atol, "rtol": rtol}})
sec = time.perf_counter() - t0
ref = {ref!r}
err = None
if ref:
    ref = json.load(open(ref))
    err = max(float(np.abs(res.mmi_per_unit - ref["mmi_per_unit"]).max()),
              float(np.abs(res.magnetization - np.array(ref["magnetization"])).max()))
if {save!r}:
    json.dump({{"mmi_per_unit": res.mmi_per_unit.tolist(),
               "magnetization": res.magnetization.tolist()}}, open({save!r}, "w"))
print(json.dumps(dict(route="evolve", N=N, field=field, method=res.method, atol=atol, T=T,
                      rtol=rtol, layout=res.layout, unknowns=res.unknowns,
                      nfev=res.nfev, seconds=sec,
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      final_mmi_per_unit=float(res.mmi_per_unit[-1]), error=err)))
"""

PIQS = r"""
import json, resource, time
import numpy as np, qutip
from qutip import piqs
import qutip_mmi as qm
from qutip_mmi.steadystate import piqs_route
N, field = {N}, {field}
tlist = np.linspace(0, 20, 201)
t0 = time.perf_counter()
model = qm.LMG(N, field=field, Gamma=2.0)
L = piqs_route.liouvillian(model)
res = qutip.mesolve(L, piqs.ground(N), tlist, options={{"store_states": True,
                                                       "atol": 1e-10, "rtol": 1e-8}})
sec = time.perf_counter() - t0
states = [qm.PIState.from_qobj(r, N=N) for r in res.states]
ref = json.load(open({ref!r}))
mmi = np.array([qm.mutual_information(s, per_unit=True, tol=1e-6) for s in states])
mag = np.array([qm.magnetization(s) for s in states])
err = max(float(np.abs(mmi - ref["mmi_per_unit"]).max()),
          float(np.abs(mag - np.array(ref["magnetization"])).max()))
print(json.dumps(dict(route="piqs+mesolve", N=N, field=field, method="adams",
                      seconds=sec, unknowns=L.shape[0],
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      final_mmi_per_unit=float(mmi[-1]), error=err)))
"""

# QuTiP's own integrators on the same reduced operator: d y/dt = R y is
# sesolve's d psi/dt = -i H psi with H = i R (a QobjEvo of the reduced operator).
QUTIP = r"""
import json, resource, time
import numpy as np, qutip
from qutip import piqs
import qutip_mmi as qm
from qutip_mmi.evolve import _System
N, field, method = {N}, {field}, {method!r}
tlist = np.linspace(0, 20, 201)
t0 = time.perf_counter()
model = qm.LMG(N, field=field, Gamma=2.0)
system = _System(model, [], False)
y0 = system.vector(qm.PIState.from_qobj(piqs.ground(N)))
H = qutip.QobjEvo(qutip.Qobj(1j * system.A0, dims=[[system.size], [system.size]]))
res = qutip.sesolve(H, qutip.Qobj(y0.astype(complex), dims=[[system.size], [1]]), tlist,
                    options={{"method": method, "atol": 1e-10, "rtol": 1e-8,
                             "nsteps": 10**6, "store_states": True,
                             "normalize_output": False}})
sec = time.perf_counter() - t0
states = [system.state(system.full(s.full().ravel().real)) for s in res.states]
ref = json.load(open({ref!r}))
mmi = np.array([qm.mutual_information(s, per_unit=True, tol=1e-6) for s in states])
mag = np.array([qm.magnetization(s) for s in states])
err = max(float(np.abs(mmi - ref["mmi_per_unit"]).max()),
          float(np.abs(mag - np.array(ref["magnetization"])).max()))
print(json.dumps(dict(route="qutip.sesolve(reduced)", N=N, field=field, method=method,
                      seconds=sec, unknowns=system.size,
                      peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                      final_mmi_per_unit=float(mmi[-1]), error=err)))
"""


def run(code, timeout=1800):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    row = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(row), flush=True)
    return row


def ours(N, field, method="auto", atol=1e-10, rtol=1e-8, ref=None, save=None, T=20.0):
    return run(OURS.format(N=N, field=field, method=method, atol=atol, rtol=rtol,
                           ref=ref, save=save, T=T))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="add N=200 (h=0.5), N=1000 (h=0)")
    ap.add_argument("--only", type=int, default=None, help="one N of ours only")
    ap.add_argument("--field", type=float, default=0.5)
    ap.add_argument("--method", default="auto", help="integrator of --only points")
    ap.add_argument("--skip-piqs", action="store_true", dest="skip_piqs",
                    help="leave out mesolve on the piqs Liouvillian (5 min at N=40)")
    ap.add_argument("--bdf", action="store_true",
                    help="add solve_ivp's BDF at N=40 (5 min: a sparse LU of all q "
                         "blocks at every step-size change)")
    ap.add_argument("--t-max", type=float, default=20.0, dest="t_max",
                    help="final time of --only and --big points (10 outputs per unit; "
                         "the integrators are stability-limited, so the time scales "
                         "linearly with it)")
    args = ap.parse_args()
    rows = []
    if args.only:
        rows.append(ours(args.only, args.field, args.method, T=args.t_max))
    else:
        ref = "/tmp/bench_evolve_ref40.json"
        # tight reference, then our default and the other integrators
        ours(40, 0.5, "DOP853", 1e-14, 1e-12, save=ref)
        for method in ("chebyshev", "dop853", "adams", "RK45", "DOP853", "krylov") + \
                (("BDF",) if args.bdf else ()):
            rows.append(ours(40, 0.5, method, ref=ref))
        for method in ("adams", "vern7", "dop853"):
            rows.append(run(QUTIP.format(N=40, field=0.5, method=method, ref=ref)))
        if not args.skip_piqs:
            rows.append(run(PIQS.format(N=40, field=0.5, ref=ref)))
        ref = "/tmp/bench_evolve_ref100.json"
        rows.append(ours(100, 0.5, "chebyshev", save=ref))
        rows.append(ours(100, 0.5, "dop853", ref=ref))
        rows.append(ours(200, 0.0))
        if args.big:  # the large points; dop853 beside them on [0, 2]
            rows.append(ours(200, 0.5, T=args.t_max))
            rows.append(ours(200, 0.5, "chebyshev", T=2.0))
            rows.append(ours(200, 0.5, "dop853", T=2.0))
            rows.append(ours(1000, 0.0, T=args.t_max))
            rows.append(ours(1000, 0.0, "chebyshev", T=2.0))
            rows.append(ours(1000, 0.0, "dop853", T=2.0))
    print()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}")
    print("| route | N | h | t_max | method | unknowns | seconds | peak GiB | max error |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r is None:
            continue
        err = "" if r.get("error") is None else f"{r['error']:.1e}"
        print(f"| {r['route']} | {r['N']} | {r['field']} | {r.get('T', 20.0):g} | "
              f"{r['method']} | "
              f"{r['unknowns']} | {r['seconds']:.3g} | {r['peak_gib']:.2f} | {err} |")


if __name__ == "__main__":
    main()
