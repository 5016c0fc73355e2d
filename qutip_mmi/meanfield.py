"""
Mean-field theory: the N -> infinity limit of the multipartite mutual information.

For N -> infinity the generalized P-representation concentrates on the attractor
of the mean-field flow dm/dt = g(m) (eqs. 4-6 of the paper), and (eq. 13)

    lim_{N->inf} I_M / N = S(rho_{<m>}) - < S(rho_m) >,

the time average < . > taken over the attractor. For spin-1/2 units
S(rho_m) = b(|m|) with the binary entropy ``b``; a fixed point gives 0.

Everything here is derived automatically from a :class:`~qutip_mmi.PIModel`
description (no model has a hand-written drift):

* Hamiltonian monomial ``c * N**(1-d) J_a1 ... J_ad``: with the classical energy
  gradient ``g = dH/dJ`` at ``J = N m / 2``, ``dm/dt = g x m`` and
  ``dH/dJ_b = c 2**(1-d) sum_{i: a_i = b} prod_{j != i} m_{a_j}``.
* Collective jump ``(Gamma/N) D[l . J]``:
  ``dm_a/dt = -(Gamma/2) Im[ conj(l . m) (l x m)_a ]``.
* Local rates (qutip.piqs conventions): pumping ``g D[sigma_+]`` gives
  ``(-g mx/2, -g my/2, g (1 - mz))``, emission ``g D[sigma_-]`` gives
  ``(-g mx/2, -g my/2, -g (1 + mz))`` and dephasing ``g D[sigma_z/2]``
  (= ``g D[sigma_z]/4``; D[sigma_z] damps coherences at rate 2) gives
  ``(-g mx/2, -g my/2, 0)``.

The drift is compiled once per model into an exact polynomial (coefficients of
the monomials ``mx^i my^j mz^k``), together with its analytic Jacobian. The
model's ``N`` plays no role: the coefficients are intensive by construction.

Attractors are found without waiting for slow relaxation: after a transient, a
fixed point is located by Newton's method on g(m) = 0 and a periodic orbit by
Newton shooting on a Poincare section (the monodromy matrix comes from the
variational equation dM/dt = Jac(m_t) M, Appendix C). Time averages over a cycle
are integrals over exactly one period, accurate to ~1e-11.

d-level units (section 6 of PHYSICS.md) are handled by :func:`mmi_limit_drift`
with a user-supplied drift of the generalized Bloch vector xi, where
``rho_xi = (1 + xi . v) / d`` and ``v`` = :func:`gell_mann` (d) normalized as
``Tr(v_a v_b) = 2 delta_ab`` (Pauli matrices for d = 2, the usual Gell-Mann
lambda matrices for d = 3).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field as dc_field
from typing import Callable, Optional

import numpy as np
from scipy.integrate import solve_ivp

from .information import binary_entropy
from ._validation import check_rate, check_real
from .models import PIModel

__all__ = [
    "drift",
    "jacobian",
    "trajectory",
    "mmi_limit",
    "mmi_limit_drift",
    "floquet",
    "lmg_h0_limit",
    "gell_mann",
    "qudit_entropy",
    "MeanFieldResult",
    "FloquetResult",
    "TrajectoryResult",
    "MultipleAttractorsWarning",
    "BlochBallWarning",
]


class MultipleAttractorsWarning(UserWarning):
    """Different initial conditions ended on different attractors."""


class BlochBallWarning(UserWarning):
    """A mean-field trajectory left the Bloch ball (|m| > 1) or the state space."""


_AXIS = {"x": 0, "y": 1, "z": 2}

#: Default options of :func:`mmi_limit`, :func:`mmi_limit_drift` and :func:`floquet`.
DEFAULT_OPTIONS = {
    # initial conditions, shape (K, n); None -> a deterministic default set
    "initial_conditions": None,
    # tolerances of the accurate one-period integrations (DOP853)
    "rtol": 1e-12,
    "atol": 1e-13,
    # tolerances of the transient (only has to land near the attractor)
    "transient_rtol": 1e-8,
    "transient_atol": 1e-10,
    # first transient length and the total time budget, in units of the model's
    # inverse total dissipation rate; the transient is doubled until the
    # attractor is identified
    "transient": 40.0,
    "max_time": 20000.0,
    # Newton tolerance (residual of g(m) = 0 or of the return map)
    "newton_tol": 1e-11,
    "newton_maxiter": 30,
    # a multiplier counts as on the unit circle within this distance
    # (multipliers of a Jordan block, e.g. neutral families of orbits, are only
    # accurate to ~sqrt(rtol))
    "floquet_tol": 1e-5,
    # two attractors are the same if they agree to this tolerance
    "same_tol": 1e-6,
    # averaging window (time units) for attractors that are neither
    "average_time": 4000.0,
    # allowed excursion beyond the Bloch ball, and what to do about it
    # (transients, integrated loosely, are allowed max(ball_tol, 1e-4))
    "ball_tol": 1e-7,
    "on_leave_ball": "warn",  # or "raise"
}


# =========================================================== polynomial algebra
# A polynomial in (mx, my, mz) is a dict {(i, j, k): complex coefficient}.
def _padd(p, q, s=1.0):
    out = dict(p)
    for e, c in q.items():
        out[e] = out.get(e, 0.0) + s * c
    return out


def _pmul(p, q):
    out = {}
    for e1, c1 in p.items():
        for e2, c2 in q.items():
            e = (e1[0] + e2[0], e1[1] + e2[1], e1[2] + e2[2])
            out[e] = out.get(e, 0.0) + c1 * c2
    return out


def _pscale(p, s):
    return {e: s * c for e, c in p.items()}


def _pconj(p):
    return {e: complex(c).conjugate() for e, c in p.items()}


def _pdiff(p, b):
    out = {}
    for e, c in p.items():
        if e[b] > 0:
            e2 = list(e)
            e2[b] -= 1
            out[tuple(e2)] = out.get(tuple(e2), 0.0) + c * e[b]
    return out


_ONE = {(0, 0, 0): 1.0}
_M = [{(1, 0, 0): 1.0}, {(0, 1, 0): 1.0}, {(0, 0, 1): 1.0}]


def _cross(u, v):
    return [
        _padd(_pmul(u[1], v[2]), _pmul(u[2], v[1]), -1.0),
        _padd(_pmul(u[2], v[0]), _pmul(u[0], v[2]), -1.0),
        _padd(_pmul(u[0], v[1]), _pmul(u[1], v[0]), -1.0),
    ]


class _PolyField:
    """Evaluates an array of polynomials (shape ``shape``) at points (..., 3)."""

    def __init__(self, polys, shape):
        polys = list(polys)
        exps = sorted({e for p in polys for e in p} | {(0, 0, 0)})
        index = {e: k for k, e in enumerate(exps)}
        C = np.zeros((len(polys), len(exps)), dtype=complex)
        for r, p in enumerate(polys):
            for e, c in p.items():
                C[r, index[e]] += c
        if np.abs(C.imag).max(initial=0.0) > 1e-12 * (1 + np.abs(C).max(initial=0.0)):
            raise ValueError("the compiled drift is not real: is the Hamiltonian "
                             "Hermitian?")
        keep = np.abs(C.real).max(axis=0) > 0
        if not keep.any():
            keep[0] = True
        self.E = np.array(exps, dtype=int)[keep]
        self.C = np.ascontiguousarray(C.real[:, keep].T)  # (K, R)
        self.shape = tuple(shape)
        self.degree = int(self.E.sum(axis=1).max())
        self._pw = np.arange(self.degree + 1)

    def __call__(self, m):
        m = np.asarray(m, dtype=float)
        P = m[..., :, None] ** self._pw  # (..., 3, D+1)
        mono = P[..., 0, self.E[:, 0]] * P[..., 1, self.E[:, 1]] * P[..., 2, self.E[:, 2]]
        out = mono @ self.C
        return out.reshape(m.shape[:-1] + self.shape)


class _CompiledDrift:
    """The mean-field drift of a PIModel as exact polynomials + Jacobian."""

    def __init__(self, model: PIModel):
        f = [{}, {}, {}]
        # Hamiltonian: g = dH/dJ at J = N m / 2, dm/dt = g x m
        g = [{}, {}, {}]
        for key, c in model.hamiltonian.items():
            d = len(key)
            pref = c * 2.0 ** (1 - d)
            for i, b in enumerate(key):
                term = {(0, 0, 0): pref}
                for j, a in enumerate(key):
                    if j != i:
                        term = _pmul(term, _M[_AXIS[a]])
                g[_AXIS[b]] = _padd(g[_AXIS[b]], term)
        f = [_padd(fa, ca) for fa, ca in zip(f, _cross(g, _M))]
        # collective jumps: dm_a = -(Gamma/2) Im[conj(l.m) (l x m)_a]
        for jump in model.collective:
            l = jump.cartesian
            lvec = [{(0, 0, 0): complex(lb)} for lb in l]
            u = {}
            for b in range(3):
                u = _padd(u, _pscale(_M[b], complex(l[b])))
            w = _cross(lvec, _M)
            cu = _pconj(u)
            for a in range(3):
                z = _pmul(cu, w[a])
                im = {e: complex(c).imag for e, c in z.items()}
                f[a] = _padd(f[a], _pscale(im, -jump.rate / 2))
        # local processes (qutip.piqs conventions)
        em, pu, de = model.emission, model.pumping, model.dephasing
        t = (em + pu + de) / 2
        f[0] = _padd(f[0], _pscale(_M[0], -t))
        f[1] = _padd(f[1], _pscale(_M[1], -t))
        f[2] = _padd(f[2], _pscale(_ONE, pu - em))
        f[2] = _padd(f[2], _pscale(_M[2], -(pu + em)))
        self.polys = f
        self.rhs_cache = {}
        self.f = _PolyField(f, (3,))
        self.jac = _PolyField([_pdiff(f[a], b) for a in range(3) for b in range(3)],
                              (3, 3))
        rate = (sum(j.rate * float(np.sum(np.abs(j.cartesian) ** 2)) / 2
                    for j in model.collective) + em + pu + de)
        ham = sum(abs(c) for c in model.hamiltonian.values())
        #: the time unit used for transients: inverse total dissipation rate
        self.time_unit = 1.0 / max(rate, 1e-2 * ham, 1e-12)


_CACHE: dict = {}


def _model_key(model):
    return (tuple(sorted(model.hamiltonian.items())),
            tuple((j.rate, j.plus, j.minus, j.z) for j in model.collective),
            model.emission, model.pumping, model.dephasing)


def _compiled(model) -> _CompiledDrift:
    if not isinstance(model, PIModel):
        raise TypeError(f"model must be a PIModel (e.g. qutip_mmi.LMG), got "
                        f"{type(model).__name__}")
    key = _model_key(model)
    comp = _CACHE.get(key)
    if comp is None:
        if len(_CACHE) > 256:
            _CACHE.clear()
        comp = _CACHE[key] = _CompiledDrift(model)
    return comp


def _as_points(m, n=3, name="m"):
    m = np.asarray(m, dtype=float)
    if m.ndim == 0 or m.shape[-1] != n:
        raise ValueError(f"{name} must have shape ({n},) or (..., {n}), got {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{name} must be finite")
    return m


def drift(model: PIModel, m) -> np.ndarray:
    """Mean-field drift dm/dt of a permutation-invariant model.

    Parameters
    ----------
    model : PIModel
        Any model description (its ``N`` is irrelevant).
    m : array_like, shape (3,) or (..., 3)
        Magnetization(s) ``m_a = 2 <J_a> / N``.

    Returns
    -------
    ndarray, same shape as ``m``

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> drift(LMG(10, field=0.0, Gamma=2.0), [0.0, 0.0, 1.0])
    array([0., 0., 0.])
    """
    return _compiled(model).f(_as_points(m))


def jacobian(model: PIModel, m) -> np.ndarray:
    """Analytic Jacobian ``d drift_a / d m_b`` of :func:`drift`.

    Parameters
    ----------
    model : PIModel
    m : array_like, shape (3,) or (..., 3)

    Returns
    -------
    ndarray, shape (3, 3) or (..., 3, 3)

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> jacobian(LMG(10, Gamma=0.0, gamma=1.0), [0, 0, 1]).shape
    (3, 3)
    """
    return _compiled(model).jac(_as_points(m))


# ==================================================================== flows
class _Flow:
    """A mean-field flow: drift, Jacobian, entropy of the local state, checks."""

    n: int
    time_unit: float = 1.0
    kind: str = "spin"

    def f(self, x):
        raise NotImplementedError

    def jac(self, x):
        raise NotImplementedError

    def entropy(self, x):
        raise NotImplementedError

    def excess(self, x):
        """How far points (..., n) lie outside the state space (<= 0 inside)."""
        raise NotImplementedError

    def default_initial_conditions(self):
        raise NotImplementedError

    def rhs(self, variational=False, quadrature=False):
        """The right-hand side (t, Y) -> dY/dt of the flow, optionally with the
        variational equation (n*n entries of M) and the quadratures of x, S."""
        n = self.n
        nv = n * n if variational else 0
        ent = self.entropy_scalar
        f, jac = self.f, self.jac

        def rhs(t, y):
            x_ = y[:n]
            out = np.empty_like(y)
            out[:n] = f(x_)
            k = n
            if variational:
                out[k:k + nv] = (jac(x_) @ y[k:k + nv].reshape(n, n)).ravel()
                k += nv
            if quadrature:
                out[k:k + n] = x_
                out[k + n] = ent(x_)
            return out
        return rhs


def _expr(poly):
    terms = []
    for (i, j, k), c in sorted(poly.items()):
        c = float(np.real(c))
        if c != 0.0:
            terms.append("*".join([repr(c)] + ["x"] * i + ["y"] * j + ["z"] * k))
    return " + ".join(terms) or "0.0"


_ENTROPY_SRC = """
    r = sqrt(x*x + y*y + z*z)
    if r < 1.0:
        p = 0.5*(1.0 + r); q = 0.5*(1.0 - r)
        s = -p*log(p) - q*log(q)
    else:
        s = 0.0
"""


def _generate_rhs(polys, variational, quadrature):
    """Python source of a fast scalar right-hand side for a spin flow (the
    coefficients are floats of the compiled drift, nothing user-typed)."""
    lines = ["def rhs(t, Y):", "    Y = Y.tolist()", "    x, y, z = Y[0], Y[1], Y[2]"]
    out = [f"({_expr(p)})" for p in polys]
    if variational:
        lines.append("    " + ", ".join(f"m{a}{b}" for a in range(3) for b in range(3))
                     + " = Y[3:12]")
        for a in range(3):
            for b in range(3):
                lines.append(f"    j{a}{b} = {_expr(_pdiff(polys[a], b))}")
        out += [" + ".join(f"j{a}{c}*m{c}{b}" for c in range(3))
                for a in range(3) for b in range(3)]
    if quadrature:
        lines.append(_ENTROPY_SRC.rstrip("\n"))
        out += ["x", "y", "z", "s"]
    lines.append("    return [" + ", ".join(out) + "]")
    ns = {"sqrt": math.sqrt, "log": math.log}
    exec(compile("\n".join(lines), "<qutip_mmi.meanfield drift>", "exec"), ns)
    return ns["rhs"]


class _SpinFlow(_Flow):
    n = 3
    kind = "spin"

    def __init__(self, model):
        self.comp = _compiled(model)
        self.f = self.comp.f
        self.jac = self.comp.jac
        self.time_unit = self.comp.time_unit

    def rhs(self, variational=False, quadrature=False):
        key = (variational, quadrature)
        fn = self.comp.rhs_cache.get(key)
        if fn is None:
            fn = self.comp.rhs_cache[key] = _generate_rhs(self.comp.polys,
                                                          variational, quadrature)
        return fn

    @staticmethod
    def entropy(x):
        return binary_entropy(np.linalg.norm(np.asarray(x, float), axis=-1))

    @staticmethod
    def entropy_scalar(x):
        r = math.sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2])
        if r >= 1.0:
            return 0.0
        p, q = 0.5 * (1 + r), 0.5 * (1 - r)
        return -p * math.log(p) - q * math.log(q)

    @staticmethod
    def excess(x):
        return np.linalg.norm(x, axis=-1) - 1.0

    @staticmethod
    def default_initial_conditions():
        # generic pure product states (|m| = 1) away from the symmetry axes
        pts = np.array([[0.3, 0.2, 0.9], [-0.5, 0.6, -0.6], [0.7, -0.6, 0.2],
                        [-0.2, -0.3, -0.9]])
        return pts / np.linalg.norm(pts, axis=1, keepdims=True)


def gell_mann(d: int) -> np.ndarray:
    """Generalized Gell-Mann matrices of SU(d), shape (d**2 - 1, d, d).

    Normalized as ``Tr(v_a v_b) = 2 delta_ab``; ordered as the standard
    lambda_1 ... lambda_8 for d = 3 (and Pauli x, y, z for d = 2): for each new
    level k = 1, ..., d-1 the symmetric and antisymmetric pairs (j, k), j < k,
    then the diagonal matrix ``sqrt(2/(k(k+1))) (sum_{j<k} |j><j| - k |k><k|)``.

    Examples
    --------
    >>> v = gell_mann(3)
    >>> v.shape
    (8, 3, 3)
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    d = int(d)
    mats = []
    for k in range(1, d):
        for j in range(k):
            s = np.zeros((d, d), complex)
            s[j, k] = s[k, j] = 1.0
            a = np.zeros((d, d), complex)
            a[j, k], a[k, j] = -1j, 1j
            mats += [s, a]
        diag = np.zeros(d)
        diag[:k] = 1.0
        diag[k] = -k
        mats.append(np.diag(diag * math.sqrt(2.0 / (k * (k + 1)))).astype(complex))
    return np.array(mats)


def qudit_entropy(xi, d: int):
    """Von Neumann entropy of ``rho_xi = (1 + xi . v)/d`` (vectorized over xi).

    Examples
    --------
    >>> round(qudit_entropy([0.0] * 8, 3), 12) == round(math.log(3), 12)
    True
    """
    v = gell_mann(d)
    xi = _as_points(xi, d * d - 1, "xi")
    rho = (np.eye(d) + np.tensordot(xi, v, axes=([-1], [0]))) / d
    p = np.clip(np.linalg.eigvalsh(rho), 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)
    return s if s.ndim else float(s)


class _UserFlow(_Flow):
    kind = "qudit"

    def __init__(self, drift_fn, d, jac_fn=None, time_unit=1.0):
        if not callable(drift_fn):
            raise TypeError("drift must be callable: drift(xi) -> dxi/dt")
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
            raise ValueError(f"d must be an integer >= 2, got {d!r}")
        self.d = int(d)
        self.n = self.d ** 2 - 1
        self._drift = drift_fn
        self._jac = jac_fn
        self.time_unit = check_real("time_unit", time_unit)
        self._v = gell_mann(self.d)

    def f(self, x):
        x = np.asarray(x, float)
        if x.ndim == 1:
            return np.asarray(self._drift(x), float).reshape(self.n)
        flat = x.reshape(-1, self.n)
        out = np.array([np.asarray(self._drift(r), float) for r in flat])
        return out.reshape(x.shape)

    def jac(self, x):
        x = np.asarray(x, float)
        if x.ndim > 1:
            flat = x.reshape(-1, self.n)
            return np.array([self.jac(r) for r in flat]).reshape(
                x.shape + (self.n,))
        if self._jac is not None:
            return np.asarray(self._jac(x), float).reshape(self.n, self.n)
        h = 1e-6
        J = np.empty((self.n, self.n))
        for b in range(self.n):
            e = np.zeros(self.n)
            e[b] = h
            J[:, b] = (self.f(x + e) - self.f(x - e)) / (2 * h)
        return J

    def rho(self, x):
        return (np.eye(self.d) + np.tensordot(x, self._v, axes=([-1], [0]))) / self.d

    def entropy(self, x):
        p = np.clip(np.linalg.eigvalsh(self.rho(np.asarray(x, float))), 0.0, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0),
                        axis=-1)
        return s

    def entropy_scalar(self, x):
        return float(self.entropy(x))

    def excess(self, x):
        # negative eigenvalues of rho_xi, in units of the Bloch-vector scale
        return -np.linalg.eigvalsh(self.rho(np.asarray(x, float)))[..., 0] * self.d

    def default_initial_conditions(self):
        rng = np.random.default_rng(20250101)
        pts = []
        for _ in range(3):
            psi = rng.normal(size=self.d) + 1j * rng.normal(size=self.d)
            psi /= np.linalg.norm(psi)
            rho = np.outer(psi, psi.conj())
            pts.append([np.trace(rho @ va).real * self.d / 2 for va in self._v])
        return np.array(pts)


# ================================================================ integration
def _check_ball(flow, Y, opts, where="trajectory", loose=False):
    ex = float(np.max(flow.excess(Y), initial=-np.inf))
    tol = max(opts["ball_tol"], 1e-4) if loose else opts["ball_tol"]
    if ex > tol:
        msg = (f"the mean-field {where} left the state space (Bloch ball) by "
               f"{ex:.3g} > {tol:.3g}: the drift is not "
               "that of a physical Lindblad equation, or the integration failed")
        if opts["on_leave_ball"] == "raise":
            raise ValueError(msg)
        warnings.warn(msg, BlochBallWarning, stacklevel=4)


def _integrate(flow, x0, T, rtol, atol, **kw):
    sol = solve_ivp(flow.rhs(), (0.0, T), np.asarray(x0, float),
                    method="DOP853", rtol=rtol, atol=atol, **kw)
    if sol.status < 0:
        raise RuntimeError(f"mean-field integration failed: {sol.message}")
    return sol


def _integrate_batch(flow, X0, T, opts):
    X0 = np.asarray(X0, float)
    K, n = X0.shape
    sol = solve_ivp(lambda t, y: flow.f(y.reshape(K, n)).ravel(), (0.0, T),
                    X0.ravel(), method="DOP853", rtol=opts["transient_rtol"],
                    atol=opts["transient_atol"])
    if sol.status < 0:
        raise RuntimeError(f"mean-field integration failed: {sol.message}")
    Y = sol.y.T.reshape(-1, K, n)
    _check_ball(flow, Y, opts, "transient", loose=True)
    return Y[-1]


def _period_pass(flow, x, T, opts, variational=True, quadrature=True, dense=False,
                 check=True, rtol=None):
    """Integrate one period from x: end point, monodromy, <x>, <S>."""
    n = flow.n
    nv = n * n if variational else 0
    rhs = flow.rhs(variational, quadrature)
    y0 = [np.asarray(x, float)]
    if variational:
        y0.append(np.eye(n).ravel())
    if quadrature:
        y0.append(np.zeros(n + 1))
    y0 = np.concatenate(y0)
    atol = np.full(y0.size, opts["atol"])
    sol = solve_ivp(rhs, (0.0, T), y0, method="DOP853",
                    rtol=opts["rtol"] if rtol is None else rtol,
                    atol=atol, dense_output=dense)
    if sol.status < 0:
        raise RuntimeError(f"mean-field integration failed: {sol.message}")
    yT = sol.y[:, -1]
    out = {"end": yT[:n].copy(), "sol": sol}
    k = n
    if variational:
        out["M"] = yT[k:k + nv].reshape(n, n).copy()
        k += nv
    if quadrature:
        out["avg"] = yT[k:k + n] / T
        out["avg_S"] = yT[k + n] / T
    if check:
        _check_ball(flow, sol.y[:n].T, opts, "orbit")
    return out


# ================================================================ attractors
@dataclass
class _Attractor:
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


def _classify_multipliers(mult, tol):
    mult = np.asarray(mult)
    if mult.size == 0:
        return None, None
    i1 = int(np.argmin(np.abs(mult - 1)))
    others = np.delete(mult, i1)
    trivial_ok = abs(mult[i1] - 1) < tol
    hyperbolic = bool(trivial_ok and np.all(np.abs(np.abs(others) - 1) > tol))
    attracting = bool(trivial_ok and np.all(np.abs(others) < 1 - tol))
    return hyperbolic, attracting


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


# =================================================================== results
def _fmt(v):
    if v is None:
        return "None"
    if isinstance(v, float):
        return f"{v:.10g}"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, separator=", ")
    return repr(v)


class MeanFieldResult:
    """The N -> infinity limit of I_M / N and the attractor it comes from.

    Attributes
    ----------
    mmi_per_unit : float
        ``lim I_M/N = S(rho_<m>) - <S(rho_m)>`` (eq. 13); exactly 0 for a fixed point.
    attractor : {"fixed point", "limit cycle", "other"}
        ``"limit cycle"`` means a periodic orbit (check ``hyperbolic``: the
        orbits of the boundary time crystal are periodic but not hyperbolic).
    period : float or None
    avg_magnetization : ndarray
        Time average of m (of xi for qudits) over the attractor.
    entropy_of_average, average_entropy : float
        ``S(rho_<m>)`` and ``<S(rho_m)>``.
    error : float
        Estimated absolute error of ``mmi_per_unit``.
    floquet_multipliers : ndarray
        Eigenvalues of the monodromy matrix (cycles only; empty otherwise),
        sorted by decreasing modulus.
    eigenvalues : ndarray
        Jacobian eigenvalues at a fixed point (empty otherwise).
    hyperbolic, attracting : bool or None
        Of the cycle (Floquet multipliers) or of the fixed point (Jacobian).
    point : ndarray
        A point on the attractor.
    multiple_attractors : bool
        True if the initial conditions ended on different attractors (a
        :class:`MultipleAttractorsWarning` is also issued).
    attractors : list of dict
        One summary per distinct attractor found; the reported one is the one
        reached from most initial conditions (the first on ties).
    seconds : float
    """

    def __init__(self, att: _Attractor, attractors, seconds, n_initial):
        self.mmi_per_unit = float(att.mmi)
        self.attractor = att.kind
        self.period = att.period
        self.avg_magnetization = np.asarray(att.avg)
        self.entropy_of_average = float(att.S_avg)
        self.average_entropy = float(att.avg_S)
        self.error = float(att.error)
        self.floquet_multipliers = np.asarray(att.multipliers)
        self.eigenvalues = np.asarray(att.eigenvalues)
        self.hyperbolic = att.hyperbolic
        self.attracting = att.attracting
        self.point = np.asarray(att.point)
        self.attractors = [a.summary() for a in attractors]
        self.multiple_attractors = len(attractors) > 1
        self.n_initial = n_initial
        self.seconds = seconds

    def to_dict(self) -> dict:
        """JSON-friendly summary (used by the CLI)."""
        return {
            "mmi_per_unit": self.mmi_per_unit,
            "attractor": self.attractor,
            "period": self.period,
            "avg_magnetization": [float(v) for v in self.avg_magnetization],
            "floquet_multipliers": [[float(z.real), float(z.imag)]
                                    for z in self.floquet_multipliers],
            "hyperbolic": self.hyperbolic,
            "entropy_of_average": self.entropy_of_average,
            "average_entropy": self.average_entropy,
            "error": self.error,
            "multiple_attractors": self.multiple_attractors,
            "attractors": self.attractors,
        }

    def __repr__(self):
        lines = [
            "MeanFieldResult(",
            f"  mmi_per_unit={_fmt(self.mmi_per_unit)} (error ~{self.error:.1e}),",
            f"  attractor={self.attractor!r}, period={_fmt(self.period)},",
            f"  avg_magnetization={_fmt(self.avg_magnetization)},",
            f"  entropy_of_average={_fmt(self.entropy_of_average)}, "
            f"average_entropy={_fmt(self.average_entropy)},",
        ]
        if self.floquet_multipliers.size:
            lines.append(f"  floquet_multipliers={_fmt(self.floquet_multipliers)},")
        if self.eigenvalues.size:
            lines.append(f"  eigenvalues={_fmt(self.eigenvalues)},")
        lines.append(f"  hyperbolic={self.hyperbolic}, attracting={self.attracting}, "
                     f"multiple_attractors={self.multiple_attractors} "
                     f"({len(self.attractors)} from {self.n_initial} initial "
                     f"conditions), seconds={self.seconds:.3g})")
        return "\n".join(lines)


class FloquetResult:
    """Floquet multipliers of a periodic orbit (Appendix C).

    Attributes
    ----------
    multipliers : ndarray
        Eigenvalues of the monodromy matrix M(T), decreasing modulus.
    period : float
    point : ndarray
        The point of the orbit where M was integrated from.
    hyperbolic : bool
        One multiplier equals 1 within ``tol``; all others have
        ``| |mu| - 1 | > tol``.
    attracting : bool
        Hyperbolic-type with all other multipliers ``|mu| < 1 - tol``.
    tol : float
    """

    def __init__(self, multipliers, period, point, tol):
        self.multipliers = np.asarray(multipliers)
        self.period = float(period)
        self.point = np.asarray(point)
        self.tol = tol
        self.hyperbolic, self.attracting = _classify_multipliers(self.multipliers, tol)

    def __repr__(self):
        return (f"FloquetResult(period={self.period:.10g}, multipliers="
                f"{_fmt(self.multipliers)}, hyperbolic={self.hyperbolic}, "
                f"attracting={self.attracting}, tol={self.tol:g})")


class TrajectoryResult:
    """A mean-field trajectory: ``times`` (K,) and ``states`` (K, n)."""

    def __init__(self, times, states, sol):
        self.times = times
        self.states = states
        self.sol = sol

    def __repr__(self):
        return (f"TrajectoryResult({len(self.times)} times in [{self.times[0]:g}, "
                f"{self.times[-1]:g}], final state {_fmt(self.states[-1])})")


# ================================================================ public API
def _options(options):
    opts = dict(DEFAULT_OPTIONS)
    if options:
        unknown = set(options) - set(opts)
        if unknown:
            raise ValueError(f"unknown mean-field option(s) {sorted(unknown)}; "
                             f"known: {sorted(opts)}")
        opts.update(options)
    if opts["on_leave_ball"] not in ("warn", "raise"):
        raise ValueError("on_leave_ball must be 'warn' or 'raise'")
    return opts


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


def mmi_limit(model: PIModel, options: Optional[dict] = None) -> MeanFieldResult:
    """lim_{N -> inf} I_M / N of a permutation-invariant model (eq. 13).

    Integrates the mean-field equations from several initial conditions,
    identifies the attractor (fixed point, periodic orbit, or other) and
    time-averages over it: over exactly one period for a cycle (accurate to
    ~1e-10), a long window for anything else.

    Parameters
    ----------
    model : PIModel
        Any model description; its ``N`` is ignored.
    options : dict, optional
        See ``DEFAULT_OPTIONS``: ``initial_conditions`` (K, 3), ``rtol``, ``atol``,
        ``transient``, ``max_time``, ``floquet_tol``, ``average_time``,
        ``on_leave_ball`` ...

    Returns
    -------
    MeanFieldResult

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> res = mmi_limit(LMG(1, field=0.0, Gamma=2.0))
    >>> res.attractor, round(res.mmi_per_unit, 8)
    ('limit cycle', 0.31655978)

    Notes
    -----
    A model with U(1) symmetry (every term conserves Jz, e.g. a superradiant
    laser without Hamiltonian) can have a *ring* of fixed points, the rotations
    of one point about z. Its finite-N steady state is rotation invariant, so the
    stationary density is spread uniformly over the ring (the same argument as
    for a cycle): then ``attractor == "fixed-point ring"``, the average
    magnetization is (0, 0, mz) and I_M/N = b(|mz|) - b(|m|) > 0.
    """
    flow = _SpinFlow(model)
    opts = _options(options)
    if not model.conserves_excitations():
        return _analyze(flow, opts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = _analyze(flow, opts)
    ring = _symmetry_ring(res)
    for w in caught:
        if not (ring and issubclass(w.category, MultipleAttractorsWarning)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return res


def _symmetry_ring(res, tol=1e-6):
    """Turn a fixed point off the z axis of a U(1)-symmetric flow into its ring."""
    if res.attractor != "fixed point":
        return False
    points = [np.asarray(a["point"]) for a in res.attractors] if all(
        a.get("kind") == "fixed point" and "point" in a for a in res.attractors) \
        else [res.point]
    m = np.asarray(res.point, dtype=float)
    rxy, mz = np.hypot(m[0], m[1]), m[2]
    if rxy <= tol:
        return False
    same = all(abs(np.hypot(p[0], p[1]) - rxy) < 1e3 * tol and abs(p[2] - mz) < 1e3 * tol
               for p in points)
    if not same:
        return False
    r = float(np.linalg.norm(m))
    res.attractor = "fixed-point ring"
    res.avg_magnetization = np.array([0.0, 0.0, mz])
    res.entropy_of_average = float(binary_entropy(abs(mz)))
    res.average_entropy = float(binary_entropy(r))
    res.mmi_per_unit = res.entropy_of_average - res.average_entropy
    res.multiple_attractors = False
    return True


def mmi_limit_drift(drift: Callable, d: int, x0=None,
                    jacobian: Optional[Callable] = None,
                    options: Optional[dict] = None,
                    time_unit: float = 1.0) -> MeanFieldResult:
    """lim I_M / N for d-level units with a user-supplied mean-field drift.

    Parameters
    ----------
    drift : callable
        ``drift(xi) -> dxi/dt`` for the generalized Bloch vector ``xi`` of shape
        (d**2 - 1,), with ``rho_xi = (1 + xi . v)/d`` and ``v = gell_mann(d)``
        (``Tr(v_a v_b) = 2 delta_ab``).
    d : int
        Local dimension.
    x0 : array_like, shape (n,) or (K, n), optional
        Initial condition(s); overrides ``options["initial_conditions"]``.
    jacobian : callable, optional
        ``jacobian(xi) -> (n, n)``; central finite differences if omitted.
    options : dict, optional
        As for :func:`mmi_limit`; ``initial_conditions`` has shape (K, d**2 - 1)
        (default: three random pure states, fixed seed).
    time_unit : float
        Typical relaxation time of the drift (sets transient lengths).

    Returns
    -------
    MeanFieldResult
        ``avg_magnetization`` holds the average of xi; entropies are
        ``S(rho_xi)`` from the eigenvalues of ``rho_xi``.

    Examples
    --------
    >>> res = mmi_limit_drift(lambda xi: -xi, 2)  # relaxes to the centre
    >>> res.attractor, res.mmi_per_unit
    ('fixed point', 0.0)
    """
    opts = _options(options)
    if x0 is not None:
        opts["initial_conditions"] = np.atleast_2d(np.asarray(x0, float))
    return _analyze(_UserFlow(drift, d, jacobian, time_unit), opts)


def trajectory(model: PIModel, m0, t, options: Optional[dict] = None
               ) -> TrajectoryResult:
    """Integrate the mean-field equations (DOP853, rtol 1e-10 by default).

    Parameters
    ----------
    model : PIModel
    m0 : array_like, shape (3,)
        Initial magnetization, ``|m0| <= 1``.
    t : float or array_like
        Final time, or the increasing output times (starting at the initial time).
    options : dict, optional
        ``rtol`` (default 1e-10), ``atol`` (1e-12), ``ball_tol``, ``on_leave_ball``.

    Returns
    -------
    TrajectoryResult

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> tr = trajectory(LMG(1, Gamma=0.5), [0, 0, -1], 20.0)
    >>> bool(tr.states[-1][2] > 0.9)
    True
    """
    opts = _options({k: v for k, v in (options or {}).items()
                     if k not in ("rtol", "atol")})
    rtol = (options or {}).get("rtol", 1e-10)
    atol = (options or {}).get("atol", 1e-12)
    flow = _SpinFlow(model)
    m0 = _as_points(m0, 3, "m0")
    if flow.excess(m0) > opts["ball_tol"]:
        raise ValueError(f"m0 must lie in the Bloch ball, |m0| = {np.linalg.norm(m0)}")
    t = np.atleast_1d(np.asarray(t, float))
    if t.size == 1:
        span, t_eval = (0.0, float(t[0])), None
    else:
        span, t_eval = (float(t[0]), float(t[-1])), t
    sol = solve_ivp(flow.rhs(), span, m0, method="DOP853", rtol=rtol,
                    atol=atol, t_eval=t_eval, dense_output=True)
    if sol.status < 0:
        raise RuntimeError(f"mean-field integration failed: {sol.message}")
    _check_ball(flow, sol.y.T, opts)
    return TrajectoryResult(sol.t, sol.y.T, sol.sol)


def floquet(model: PIModel, m0=None, period: Optional[float] = None,
            options: Optional[dict] = None) -> FloquetResult:
    """Floquet multipliers of the periodic attractor of a model (Appendix C).

    Integrates ``dM/dt = Jac(m_t) M``, ``M(0) = 1`` over one period; the
    eigenvalues of ``M(T)`` are the multipliers.

    Parameters
    ----------
    model : PIModel
    m0 : array_like, shape (3,), optional
        With ``period``: a point on the periodic orbit. Without: an initial
        condition whose attractor is analysed (default: the attractor that
        :func:`mmi_limit` reports).
    period : float, optional
    options : dict, optional
        As for :func:`mmi_limit` (``floquet_tol`` sets the unit-circle tolerance).

    Returns
    -------
    FloquetResult

    Raises
    ------
    ValueError
        If the attractor is not periodic.

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> fl = floquet(LMG(1, field=0.0, Gamma=2.0))
    >>> fl.hyperbolic, fl.attracting
    (True, True)
    """
    opts = _options(options)
    flow = _SpinFlow(model)
    if period is not None:
        if m0 is None:
            raise ValueError("period needs m0, a point on the orbit")
        T = check_rate("period", period)
        res = _period_pass(flow, _as_points(m0, 3, "m0"), T, opts,
                           variational=True, quadrature=False)
        mult = np.linalg.eigvals(res["M"])
        return FloquetResult(mult[np.argsort(-np.abs(mult))], T, m0,
                             opts["floquet_tol"])
    if m0 is not None:
        opts["initial_conditions"] = np.atleast_2d(_as_points(m0, 3, "m0"))
    r = _analyze(flow, opts)
    if r.attractor != "limit cycle":
        raise ValueError(f"the attractor is a {r.attractor}, not a periodic orbit: "
                         "Floquet multipliers are undefined")
    return FloquetResult(r.floquet_multipliers, r.period, r.point, opts["floquet_tol"])


def lmg_h0_limit(Gamma, gamma=1.0):
    """Analytic lim I_M/N of the LMG model at h = 0, eqs. (17)-(18).

    ``Gamma <= gamma``: fixed point m = (0, 0, 1) and 0. Otherwise the limit
    cycle ``mz = gamma/Gamma``, ``m_xy = sqrt(2 gamma (Gamma - gamma))/Gamma`` and
    ``I_M/N -> b(mz) - b(sqrt(mz^2 + m_xy^2))`` (independent of the exchange).

    Parameters
    ----------
    Gamma : float or array_like
    gamma : float

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(lmg_h0_limit(2.0), 8)
    0.31655978
    """
    gamma = check_rate("gamma", gamma)
    if gamma == 0:
        raise ValueError("gamma must be > 0")
    G = np.asarray(Gamma, dtype=float)
    if np.any(~np.isfinite(G)) or np.any(G < 0):
        raise ValueError("Gamma must be finite and >= 0")
    Gs = np.where(G > gamma, G, 2 * gamma)  # placeholder avoids 0-division
    mz = gamma / Gs
    mxy2 = 2 * gamma * (Gs - gamma) / Gs ** 2
    val = np.asarray(binary_entropy(mz)) - np.asarray(
        binary_entropy(np.sqrt(mz ** 2 + mxy2)))
    out = np.where(G > gamma, val, 0.0)
    return float(out) if out.ndim == 0 else out
