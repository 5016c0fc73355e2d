"""Mean-field flows, their generated right-hand sides and integration helpers.

A flow bundles the drift, its Jacobian, the entropy of the single-unit state
and the state-space check: :class:`_SpinFlow` for spin-1/2 units (compiled from
a model, with right-hand sides generated as plain Python source for speed) and
:class:`_UserFlow` for d-level units with a user-supplied drift of the
generalized Bloch vector. :func:`unit_entropy` is the one definition of the
single-unit entropy S(rho_x) used everywhere in :mod:`qutip_mmi.meanfield`.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from scipy.integrate import solve_ivp

from .._validation import check_real
from ..information import binary_entropy
from ._drift import _as_points, _compiled, _pdiff
from .results import BlochBallWarning

__all__ = ["gell_mann", "qudit_entropy", "unit_entropy"]


# ======================================================= single-unit entropy
def _check_d(d):
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    return int(d)


@functools.lru_cache(maxsize=None)
def _gell_mann(d):
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
    out = np.array(mats)
    out.flags.writeable = False
    return out


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
    >>> gell_mann(2)[2].real
    array([[ 1.,  0.],
           [ 0., -1.]])
    """
    return _gell_mann(_check_d(d)).copy()


def _qudit_rho(x, d):
    """rho_x = (1 + x . v) / d, vectorized over the leading axes of x."""
    return (np.eye(d) + np.tensordot(x, _gell_mann(d), axes=([-1], [0]))) / d


def unit_entropy(x, d=2):
    """Von Neumann entropy S(rho_x) of one unit from its (generalized) Bloch vector.

    ``d = 2``: ``b(|x|)`` with :func:`~qutip_mmi.information.binary_entropy`;
    ``d > 2``: ``-sum p ln p`` over the eigenvalues p of ``rho_x = (1 + x . v)/d``
    (negative round-off eigenvalues clipped to 0). Vectorized over the leading
    axes of ``x``; no input checks (see :func:`qudit_entropy`).

    Examples
    --------
    >>> round(unit_entropy([0.0, 0.0, 0.0]), 12) == round(math.log(2), 12)
    True
    >>> unit_entropy([[0.0, 0.0, 1.0], [0.0, 0.6, 0.8]])
    array([0., 0.])
    """
    x = np.asarray(x, float)
    if d == 2:
        return binary_entropy(np.linalg.norm(x, axis=-1))
    p = np.clip(np.linalg.eigvalsh(_qudit_rho(x, d)), 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0),
                       axis=-1)


def _spin_entropy(x, y, z):
    """:func:`unit_entropy` (d = 2) of one Bloch vector given as three floats.

    The scalar form called by the generated right-hand sides at every
    integration stage: a numpy call there would cost ~60 times more (27 us
    against 0.45 us) than this, and more than the drift itself.
    """
    r = math.sqrt(x * x + y * y + z * z)
    if r >= 1.0:
        return 0.0
    p, q = 0.5 * (1.0 + r), 0.5 * (1.0 - r)
    return -p * math.log(p) - q * math.log(q)


def qudit_entropy(xi, d: int):
    """Von Neumann entropy of ``rho_xi = (1 + xi . v)/d`` (vectorized over xi).

    Parameters
    ----------
    xi : array_like, shape (d**2 - 1,) or (..., d**2 - 1)
        Generalized Bloch vector(s), ``v = gell_mann(d)``.
    d : int
        Local dimension.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(qudit_entropy([0.0] * 8, 3), 12) == round(math.log(3), 12)
    True
    """
    d = _check_d(d)
    s = unit_entropy(_as_points(xi, d * d - 1, "xi"), d)
    return s if np.ndim(s) else float(s)


# ===================================================================== flows
class _Flow:
    """A mean-field flow: drift, Jacobian, entropy of the local state, checks."""

    n: int
    d: int = 2
    time_unit: float = 1.0
    kind: str = "spin"

    def f(self, x):
        raise NotImplementedError

    def jac(self, x):
        raise NotImplementedError

    def entropy(self, x):
        """S(rho_x) of the single-unit state(s) x (..., n)."""
        return unit_entropy(x, self.d)

    def entropy_scalar(self, x):
        return float(self.entropy(x))

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
    """Python source of a real polynomial in x, y, z."""
    terms = []
    for (i, j, k), c in sorted(poly.items()):
        c = float(np.real(c))
        if c != 0.0:
            terms.append("*".join([repr(c)] + ["x"] * i + ["y"] * j + ["z"] * k))
    return " + ".join(terms) or "0.0"


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
        out += ["x", "y", "z", "entropy(x, y, z)"]
    lines.append("    return [" + ", ".join(out) + "]")
    ns = {"entropy": _spin_entropy}
    exec(compile("\n".join(lines), "<qutip_mmi.meanfield drift>", "exec"), ns)
    return ns["rhs"]


class _SpinFlow(_Flow):
    """The flow of spin-1/2 units, compiled from a PIModel."""

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
    def excess(x):
        return np.linalg.norm(x, axis=-1) - 1.0

    @staticmethod
    def default_initial_conditions():
        # generic pure product states (|m| = 1) away from the symmetry axes
        pts = np.array([[0.3, 0.2, 0.9], [-0.5, 0.6, -0.6], [0.7, -0.6, 0.2],
                        [-0.2, -0.3, -0.9]])
        return pts / np.linalg.norm(pts, axis=1, keepdims=True)


class _UserFlow(_Flow):
    """The flow of d-level units from a user drift of the generalized Bloch vector."""

    kind = "qudit"

    def __init__(self, drift_fn, d, jac_fn=None, time_unit=1.0):
        if not callable(drift_fn):
            raise TypeError("drift must be callable: drift(xi) -> dxi/dt")
        self.d = _check_d(d)
        self.n = self.d ** 2 - 1
        self._drift = drift_fn
        self._jac = jac_fn
        self.time_unit = check_real("time_unit", time_unit)
        self._v = _gell_mann(self.d)

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

    def excess(self, x):
        # negative eigenvalues of rho_xi, in units of the Bloch-vector scale
        rho = _qudit_rho(np.asarray(x, float), self.d)
        return -np.linalg.eigvalsh(rho)[..., 0] * self.d

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

