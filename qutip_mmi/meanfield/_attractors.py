"""Attractors of a mean-field flow and the time averages over them.

From each initial condition a short transient lands near the attractor; then a
fixed point is located by Newton's method on g(m) = 0 and a periodic orbit by
Newton shooting on a Poincare section (monodromy matrix from the variational
equation, Appendix C). Averages over a cycle are integrals over exactly one
period; anything else is averaged over a long window ("other").
:func:`_analyze` runs this over all initial conditions and builds the
:class:`~qutip_mmi.meanfield.MeanFieldResult`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field as dc_field
from typing import Optional

import numpy as np
from scipy.integrate import solve_ivp

from ._flows import (_check_ball, _integrate, _integrate_batch, _period_pass,
                     unit_entropy)
from .results import MeanFieldResult, MultipleAttractorsWarning, _classify_multipliers


@dataclass
class _Attractor:
    """One attractor found from one or more initial conditions (``count``):
    its kind, averages (``avg`` = <x>, ``avg_S`` = <S>, ``S_avg`` = S(<x>)),
    I/N (``mmi``) and its error, stability data and, for cycles, the orbit."""

    kind: str
    point: np.ndarray
    period: Optional[float] = None
    avg: Optional[np.ndarray] = None
    avg_S: float = 0.0
    S_avg: float = 0.0
    mmi: float = 0.0
    error: float = 0.0
    multipliers: np.ndarray = dc_field(default_factory=lambda: np.zeros(0, complex))
    eigenvalues: np.ndarray = dc_field(default_factory=lambda: np.zeros(0, complex))
    hyperbolic: Optional[bool] = None
    attracting: Optional[bool] = None
    orbit: Optional[np.ndarray] = None
    count: int = 1

    def same_as(self, other, tol):
        if self.kind != other.kind:
            return False
        if self.kind == "fixed point":
            return bool(np.linalg.norm(self.point - other.point) < tol * 10)
        if self.kind == "limit cycle":
            return (abs(self.period - other.period) < tol * 10 * self.period
                    and np.linalg.norm(self.avg - other.avg) < tol * 10
                    and abs(self.mmi - other.mmi) < tol * 10)
        return abs(self.mmi - other.mmi) < 3 * (self.error + other.error) + tol

    def distance(self, x):
        if self.kind == "fixed point":
            return float(np.linalg.norm(x - self.point))
        return float(np.min(np.linalg.norm(self.orbit - x, axis=1)))

    @property
    def amplitude(self):
        if self.orbit is None:
            return 0.0
        return float(np.max(np.linalg.norm(self.orbit - self.orbit.mean(axis=0),
                                           axis=1)))

    def contains(self, x, delta):
        """Is x within delta of this attractor (cheap test, no integration)?"""
        if self.kind == "fixed point":
            return bool(np.linalg.norm(x - self.point) < delta)
        if self.kind == "limit cycle" and self.orbit is not None:
            return bool(np.min(np.linalg.norm(self.orbit - x, axis=1)) < delta)
        return False

    def summary(self):
        out = {"kind": self.kind, "point": self.point.tolist(),
               "mmi_per_unit": self.mmi, "count": self.count}
        if self.period is not None:
            out["period"] = self.period
        return out


def _fixed_point(flow, x, opts):
    """Newton (least squares, damped) for g(m) = 0 from x."""
    x = np.array(x, float)
    fx = flow.f(x)
    nf = np.linalg.norm(fx)
    scale = 1.0 / flow.time_unit
    for _ in range(opts["newton_maxiter"]):
        if nf < opts["newton_tol"] * scale:
            return x, True
        dx = np.linalg.lstsq(flow.jac(x), -fx, rcond=1e-13)[0]
        lam = 1.0
        for _ in range(12):
            xn = x + lam * dx
            fn = flow.f(xn)
            nn = np.linalg.norm(fn)
            if nn < nf:
                break
            lam /= 2
        else:
            return x, False
        x, fx, nf = xn, fn, nn
    return x, bool(nf < opts["newton_tol"] * scale)


def _section_returns(flow, x, tmax, opts, count=2):
    """Integrate from x until ``count`` upward crossings of the plane through x
    normal to the flow; returns crossing times and points."""
    fx = flow.f(x)
    nrm = np.linalg.norm(fx)
    if nrm == 0:
        return [], []
    nvec = fx / nrm

    def ev(t, y):
        return float(nvec @ (y - x))
    ev.direction = 1.0
    ev.terminal = count
    sol = solve_ivp(flow.rhs(), (0.0, tmax), x, method="DOP853",
                    rtol=opts["transient_rtol"] * 1e-2, atol=opts["transient_atol"],
                    events=ev)
    if sol.status < 0:
        raise RuntimeError(f"mean-field integration failed: {sol.message}")
    # drop spurious crossings at t ~ 0
    keep = sol.t_events[0] > 1e-9 * max(tmax, 1.0)
    return list(sol.t_events[0][keep]), list(sol.y_events[0][keep])


def _shoot(flow, x, T, opts):
    """Newton shooting for a periodic orbit through the section at x.

    Unknowns: the point x (on the plane through the start normal to the flow)
    and the period T; the linear systems are solved by least squares so that
    neutral directions (conserved quantities, families of orbits) do no harm.
    Early iterations use a looser tolerance; the last ones ``opts["rtol"]``.
    """
    n = flow.n
    p = np.array(x, float)
    fp = flow.f(p)
    nvec = fp / np.linalg.norm(fp)
    x = p.copy()
    tol = opts["newton_tol"]
    scale = max(1.0, float(np.linalg.norm(p)))
    loose = max(opts["rtol"], 1e-9)
    rtol = loose
    history = []
    for it in range(opts["newton_maxiter"]):
        if not (0 < T < 1e6 * flow.time_unit):
            return None
        res = _period_pass(flow, x, T, opts, variational=True, quadrature=False,
                           check=False, rtol=rtol)
        r = res["end"] - x
        nr = float(np.linalg.norm(r))
        history.append(nr)
        if len(history) >= 4 and history[-1] > 0.5 * history[-4]:
            return None  # not converging
        A = np.zeros((n + 1, n + 1))
        A[:n, :n] = res["M"] - np.eye(n)
        A[:n, n] = flow.f(res["end"])
        A[n, :n] = nvec
        rhs = -np.concatenate([r, [nvec @ (x - p)]])
        step = np.linalg.lstsq(A, rhs, rcond=1e-9)[0]
        sn = float(np.linalg.norm(step[:n]))
        if nr < 1e3 * tol * scale and rtol > opts["rtol"]:
            rtol = opts["rtol"]
            continue  # redo this iterate at full accuracy
        if rtol == opts["rtol"] and nr < tol * scale and sn < 1e3 * tol * scale:
            return {"x": x, "T": T, "M": res["M"], "initial_residual": history[0],
                    "iterations": it}
        damp = min(1.0, 0.2 / sn) if sn > 0 else 1.0
        x = x + damp * step[:n]
        T = T + damp * step[n]
    return None



def _cycle_attractor(flow, x, T, M, opts, n_orbit=2000):
    res = _period_pass(flow, x, T, opts, variational=True, quadrature=True,
                       dense=True)
    mult = np.linalg.eigvals(res["M"])
    mult = mult[np.argsort(-np.abs(mult))]
    hyp, att = _classify_multipliers(mult, opts["floquet_tol"])
    avg = res["avg"]
    S_avg = float(flow.entropy(avg))
    mmi = S_avg - res["avg_S"]
    ts = np.linspace(0, T, n_orbit, endpoint=False)
    orbit = res["sol"].sol(ts)[:flow.n].T
    # error estimate: closure of the orbit and the integration tolerance
    closure = float(np.linalg.norm(res["end"] - x))
    err = closure * (1.0 + abs(math.log(max(closure, 1e-300)))) + \
        10 * opts["rtol"] * (1 + abs(S_avg))
    return _Attractor("limit cycle", np.array(x), period=float(T), avg=avg,
                      avg_S=float(res["avg_S"]), S_avg=S_avg, mmi=float(mmi),
                      error=float(err), multipliers=mult, hyperbolic=hyp,
                      attracting=att, orbit=orbit)


def _fixed_attractor(flow, xs):
    eig = np.linalg.eigvals(flow.jac(xs))
    s = float(flow.entropy(xs))
    hyp = bool(np.all(np.abs(eig.real) > 1e-9 / flow.time_unit))
    att = bool(np.all(eig.real < 0))
    return _Attractor("fixed point", np.array(xs), avg=np.array(xs), avg_S=s,
                      S_avg=s, mmi=0.0, error=0.0, eigenvalues=eig,
                      hyperbolic=hyp, attracting=att)


def _long_average(flow, x, opts, nblocks=16):
    n = flow.n
    T = opts["average_time"] * flow.time_unit
    rhs = flow.rhs(False, True)
    ts = np.linspace(0, T, nblocks + 1)
    sol = solve_ivp(rhs, (0, T), np.concatenate([x, np.zeros(n + 1)]),
                    method="DOP853", rtol=1e-9, atol=1e-11, t_eval=ts)
    if sol.status < 0:
        raise RuntimeError(f"mean-field integration failed: {sol.message}")
    _check_ball(flow, sol.y[:n].T, opts, "trajectory", loose=True)
    Q = sol.y[n:].T
    dQ = np.diff(Q, axis=0) / (T / nblocks)
    blocks = flow.entropy(dQ[:, :n]) - dQ[:, n]
    avg = Q[-1, :n] / T
    avg_S = Q[-1, n] / T
    S_avg = float(flow.entropy(avg))
    mmi = S_avg - avg_S
    err = float(np.std(blocks) / math.sqrt(nblocks))
    return _Attractor("other", np.array(sol.y[:n, -1]), avg=avg, avg_S=float(avg_S),
                      S_avg=S_avg, mmi=float(mmi), error=err)


def _find_attractor(flow, x, opts, t_spent):
    """Identify the attractor that the trajectory at x ends on.

    1. Newton for g(m) = 0: if x is already there, a fixed point.
    2. Poincare section through x normal to the flow: if the returns approach a
       linearly stable fixed point at (at least) its linear rate, a fixed point
       (this is what makes the slow spiral near a Hopf point cheap).
    3. Newton shooting from the last return: an attracting periodic orbit, or
       one that the trajectory is already on (neutral families).
    4. Otherwise continue the transient (doubling its length) and retry; after
       ``max_time`` average over a long window ("other").
    """
    unit = flow.time_unit
    t_next = opts["transient"] * unit
    close = 1e-7
    while True:
        xs, ok = _fixed_point(flow, x, opts)
        if ok and np.linalg.norm(xs - x) < close:
            return _fixed_attractor(flow, xs)
        rate = None
        if ok:
            eig = np.linalg.eigvals(flow.jac(xs))
            if np.all(eig.real < -1e-9 / unit):
                rate = float(-eig.real.max())
        tc, yc = _section_returns(flow, x, max(t_next, 200 * unit), opts, count=3)
        if len(tc) >= 2:
            if rate is not None:
                d = [float(np.linalg.norm(y - xs)) for y in yc]
                if all(d[i + 1] <= d[i] * math.exp(-rate * (tc[i + 1] - tc[i])) * 1.05
                       for i in range(len(d) - 1)):
                    return _fixed_attractor(flow, xs)
            cyc = _shoot(flow, yc[-1], tc[-1] - tc[-2], opts)
            if cyc is not None:
                amp = _orbit_amplitude(flow, cyc["x"], cyc["T"], opts)
                if amp > 1e-6:
                    att = _cycle_attractor(flow, cyc["x"], cyc["T"], cyc["M"], opts)
                    if att.attracting or cyc["initial_residual"] < close:
                        return att
        elif rate is not None:
            # no rotation, a stable node: check that x approaches it
            y = _integrate(flow, x, 1.0 / rate, opts["transient_rtol"],
                           opts["transient_atol"]).y[:, -1]
            if np.linalg.norm(y - xs) < np.linalg.norm(x - xs):
                return _fixed_attractor(flow, xs)
        if t_spent >= opts["max_time"] * unit:
            return _long_average(flow, x, opts)
        x = _integrate(flow, x, t_next, opts["transient_rtol"],
                       opts["transient_atol"]).y[:, -1]
        _check_ball(flow, x, opts, "transient", loose=True)
        t_spent += t_next
        t_next *= 2


def _converges_to(flow, att, x, opts):
    """Cheap test that the trajectory from x ends on the known attractor ``att``
    (a fixed point or an attracting hyperbolic cycle): x is within 2e-3 of it, or
    a short integration brings x clearly closer, into a 5 % neighbourhood of an
    attracting cycle, at least at the rate of its Floquet multipliers."""
    if att.contains(x, 2e-3):
        return True
    if att.kind != "limit cycle" or not att.attracting:
        return False
    amp = att.amplitude
    mu = float(np.abs(att.multipliers[1])) if att.multipliers.size > 1 else 0.0
    k = 3
    y = np.asarray(x, float)
    for _ in range(3):
        d0 = att.distance(y)
        y = _integrate(flow, y, k * att.period, opts["transient_rtol"],
                       opts["transient_atol"]).y[:, -1]
        d1 = att.distance(y)
        if d1 < 2e-3 or (d0 < 0.05 * amp and d1 <= 1.5 * mu ** k * d0 + 1e-6):
            return True
    return False


def _orbit_amplitude(flow, x, T, opts):
    sol = _integrate(flow, x, T, 1e-8, 1e-10)
    Y = sol.y.T
    return float(np.max(np.linalg.norm(Y - Y.mean(axis=0), axis=1)))



def _initial_conditions(flow, opts):
    X0 = opts["initial_conditions"]
    if X0 is None:
        return flow.default_initial_conditions()
    X0 = np.atleast_2d(np.asarray(X0, float))
    if X0.shape[-1] != flow.n or X0.ndim != 2 or len(X0) == 0:
        raise ValueError(f"initial_conditions must have shape (K, {flow.n}), "
                         f"got {X0.shape}")
    if np.any(flow.excess(X0) > opts["ball_tol"]):
        raise ValueError("initial_conditions must lie in the state space "
                         "(|m| <= 1 for spins)")
    return X0


def _analyze(flow, opts):
    t0 = time.perf_counter()
    X0 = _initial_conditions(flow, opts)
    t_tr = opts["transient"] * flow.time_unit
    X = _integrate_batch(flow, X0, t_tr, opts)
    found: list = []
    for x in X:
        for a in found:
            if _converges_to(flow, a, x, opts):
                a.count += 1
                break
        else:
            att = _find_attractor(flow, x, opts, t_tr)
            for a in found:
                if a.same_as(att, opts["same_tol"]):
                    a.count += 1
                    break
            else:
                found.append(att)
    best = max(found, key=lambda a: a.count)  # first on ties
    if len(found) > 1:
        warnings.warn(
            f"{len(found)} different attractors from {len(X0)} initial conditions "
            f"({', '.join(a.kind + f' I/N={a.mmi:.6g}' for a in found)}); "
            "reporting the most frequent one, see result.attractors",
            MultipleAttractorsWarning, stacklevel=3)
    return MeanFieldResult(best, found, time.perf_counter() - t0, len(X0))


def _symmetry_ring(res, tol=1e-6):
    """Turn a fixed point off the z axis of a U(1)-symmetric flow into its ring.

    Returns True (and rewrites ``res``) if the reported fixed point, and every
    other fixed point found, lie on one circle about the z axis.
    """
    if res.attractor != "fixed point":
        return False
    if all(a["kind"] == "fixed point" for a in res.attractors):
        points = [np.asarray(a["point"]) for a in res.attractors]
    else:
        points = [res.point]
    m = np.asarray(res.point, dtype=float)
    rxy, mz = np.hypot(m[0], m[1]), m[2]
    if rxy <= tol:
        return False
    same = all(abs(np.hypot(p[0], p[1]) - rxy) < 1e3 * tol and abs(p[2] - mz) < 1e3 * tol
               for p in points)
    if not same:
        return False
    res.attractor = "fixed-point ring"
    res.avg_magnetization = np.array([0.0, 0.0, mz])
    res.entropy_of_average = float(unit_entropy(res.avg_magnetization))
    res.average_entropy = float(unit_entropy(m))
    res.mmi_per_unit = res.entropy_of_average - res.average_entropy
    res.multiple_attractors = False
    return True
