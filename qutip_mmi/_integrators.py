"""
The integrators behind :func:`qutip_mmi.evolve.evolve` (private).

Each runner integrates dy/dt = A(t) y of an evolve system from y at
``tlist[0]``, calls ``record(k, y_k)`` and ``bar.update()`` at every later
output time, and returns the number of steps it reports (None where the
integrator does not say).
"""

from __future__ import annotations

import warnings

import scipy.integrate as si
import scipy.sparse.linalg as spl

from ._chebyshev import ChebyshevPropagator

__all__ = ["run_chebyshev", "run_krylov", "run_compiled", "run_ode"]


def run_chebyshev(system, y, tlist, record, bar, opts):
    propagator = ChebyshevPropagator(system.A0, opts["atol"], opts["rtol"],
                                     threads=opts["threads"])
    last = [propagator.nmv, 0]

    def record_tick(k, y):
        # nsteps bounds the products with L since the last output (a window of
        # outputs is charged to its first one), as it bounds the steps of the others
        if propagator.nmv - last[0] > opts["nsteps"]:
            raise RuntimeError(
                f"evolve: more than nsteps={opts['nsteps']} products with the "
                f"generator between t={tlist[last[1]]:g} and t={tlist[k]:g} "
                f"(Chebyshev series); raise options['nsteps']")
        last[:] = [propagator.nmv, k]
        record(k, y)
        bar.update()

    try:
        propagator.run(y, tlist, record_tick)
    finally:
        propagator.close()
    system.nfev += propagator.nmv
    return propagator.windows


def run_krylov(system, y, tlist, record, bar):
    A = system.A0
    for k in range(1, len(tlist)):
        y = spl.expm_multiply(A * (tlist[k] - tlist[k - 1]), y)
        record(k, y)
        bar.update()
    return len(tlist) - 1


def run_compiled(system, y, tlist, record, bar, opts):
    """scipy.integrate.ode ('dop853' or VODE 'adams'); nsteps per output interval."""
    if opts["method"] == "dop853":
        kwargs = {"max_step": opts["max_step"]}
        solver = si.ode(system.rhs).set_integrator("dop853", **kwargs,
                                                   atol=opts["atol"], rtol=opts["rtol"],
                                                   nsteps=opts["nsteps"])
    else:
        solver = si.ode(system.rhs).set_integrator(
            "vode", method="adams", atol=opts["atol"], rtol=opts["rtol"],
            nsteps=opts["nsteps"], max_step=opts["max_step"])
    solver.set_initial_value(y, tlist[0])
    for k in range(1, len(tlist)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # failures are raised just below
            y = solver.integrate(tlist[k])
        if not solver.successful():
            hint = ("more than nsteps={} integrator steps between t={:g} and t={:g}; "
                    "raise options['nsteps']".format(opts["nsteps"], tlist[k - 1],
                                                     tlist[k])
                    if solver.get_return_code() in (-2, -1) else
                    f"return code {solver.get_return_code()}")
            raise RuntimeError(f"evolve: the {opts['method']} integrator failed at "
                               f"t={solver.t:g}: {hint}")
        record(k, y)
        bar.update()
    return None  # the compiled integrators do not report their step count


def run_ode(system, y, tlist, record, bar, opts):
    cls = {"RK45": si.RK45, "DOP853": si.DOP853, "BDF": si.BDF}[opts["method"]]
    kwargs = {"rtol": opts["rtol"], "atol": opts["atol"]}
    if opts["max_step"]:
        kwargs["max_step"] = opts["max_step"]
    if opts["method"] == "BDF":
        kwargs["jac"] = (system.A0.tocsc() if not system.terms
                         else (lambda t, _: system.generator(t).tocsc()))
    solver = cls(system.rhs, tlist[0], y, tlist[-1], **kwargs)
    k, steps, since = 1, 0, 0
    while k < len(tlist):
        if solver.t < tlist[k]:
            message = solver.step()
            steps += 1
            since += 1
            if solver.status == "failed":
                raise RuntimeError(f"evolve: the {opts['method']} integrator failed at "
                                   f"t={solver.t:g}: {message}")
            if since > opts["nsteps"]:
                raise RuntimeError(
                    f"evolve: more than nsteps={opts['nsteps']} integrator steps between "
                    f"t={tlist[k - 1]:g} and t={tlist[k]:g}; raise options['nsteps']")
            if solver.t < tlist[k]:
                continue
        dense = solver.dense_output() if solver.t > tlist[k] else None
        while k < len(tlist) and tlist[k] <= solver.t:
            record(k, solver.y if dense is None or tlist[k] == solver.t
                   else dense(tlist[k]))
            bar.update()
            k += 1
            since = 0
    return steps
