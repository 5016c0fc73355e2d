"""The compiled mean-field drift: exact polynomials in (mx, my, mz).

A :class:`~qutip_mmi.PIModel` is turned once into the polynomial coefficients of
its drift ``dm/dt = g(m)`` (the rules are listed in the docstring of
:mod:`qutip_mmi.meanfield`) and of the analytic Jacobian; compiled drifts are
cached per model description. A polynomial is a dict
``{(i, j, k): coefficient of mx^i my^j mz^k}``.
"""

from __future__ import annotations

import numpy as np

from ..models import PIModel

__all__ = ["drift", "jacobian", "local_bloch"]

_PAULI = (np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]]),
          np.array([[1, 0], [0, -1]], complex))


def local_bloch(model):
    """(M, v): the local channels' part ``dm/dt = M m + v`` of the drift.

    For one unit with ``rho = (1 + m . sigma)/2`` and a channel ``gamma D[A]``
    (A = a sigma_+ + b sigma_- + c sigma_z/2 + d, identity included),
    ``dm_k/dt = gamma Tr(sigma_k D[A] rho)``: affine in m, with
    ``v_k = gamma Tr(sigma_k D[A] 1) / 2`` and
    ``M_kl = gamma Tr(sigma_k D[A] sigma_l) / 2``, evaluated from the 2x2
    matrices (exact up to rounding). The units are uncoupled by local channels,
    so on product states this is the exact one-body equation at any N. Special
    cases: pumping ``(-g mx/2, -g my/2, g (1 - mz))``, emission
    ``(-g mx/2, -g my/2, -g (1 + mz))``, dephasing D[sigma_z/2]
    ``(-g mx/2, -g my/2, 0)``, bit flips D[sigma_x] ``(0, -2g my, -2g mz)``;
    an identity part d adds the precession ``h x m`` of the Hamiltonian
    correction ``h . J`` (:attr:`~qutip_mmi.LocalJump.hamiltonian_correction`).
    """
    M = np.zeros((3, 3))
    v = np.zeros(3)
    for jump in model.local_jumps:
        A = jump.matrix()
        AdA = A.conj().T @ A

        def dissipate(rho):
            return A @ rho @ A.conj().T - 0.5 * (AdA @ rho + rho @ AdA)

        out = [dissipate(0.5 * np.eye(2))] + [dissipate(0.5 * s) for s in _PAULI]
        for k, sk in enumerate(_PAULI):
            v[k] += jump.rate * np.trace(sk @ out[0]).real
            for l in range(3):
                M[k, l] += jump.rate * np.trace(sk @ out[l + 1]).real
    return M, v

_AXIS = {"x": 0, "y": 1, "z": 2}


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
        # local channels: the single-unit Bloch equation, exact (affine in m)
        Mloc, vloc = local_bloch(model)
        for a in range(3):
            f[a] = _padd(f[a], _pscale(_ONE, vloc[a]))
            for b in range(3):
                f[a] = _padd(f[a], _pscale(_M[b], Mloc[a, b]))
        self.polys = f
        self.rhs_cache = {}
        self.f = _PolyField(f, (3,))
        self.jac = _PolyField([_pdiff(f[a], b) for a in range(3) for b in range(3)],
                              (3, 3))
        rate = (sum(j.rate * float(np.sum(np.abs(j.cartesian) ** 2)) / 2
                    for j in model.collective)
                + sum(j.rate * (abs(j.plus) ** 2 + abs(j.minus) ** 2 + abs(j.z) ** 2)
                      for j in model.local_jumps))
        ham = sum(abs(c) for c in model.hamiltonian.values())
        #: the time unit used for transients: inverse total dissipation rate
        self.time_unit = 1.0 / max(rate, 1e-2 * ham, 1e-12)


_CACHE: dict = {}


def _model_key(model):
    return (tuple(sorted(model.hamiltonian.items())),
            tuple((j.rate, j.plus, j.minus, j.z) for j in model.collective),
            tuple((j.rate,) + j.coefficients for j in model.local_jumps))


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
