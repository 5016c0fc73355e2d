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
* Local channels (:func:`._drift.local_bloch`, exact single-unit Bloch
  equations of any ``LocalJump``); the qutip.piqs rates: pumping ``g D[sigma_+]`` gives
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

Layout: ``_drift`` (polynomial algebra, the compiled drift and Jacobian),
``_flows`` (flows, generated right-hand sides, integration, the single-unit
entropy), ``_attractors`` (fixed points, shooting, Floquet classification,
averages), ``results`` (result objects and warnings); the public functions
live here.
"""

from __future__ import annotations

import warnings
from typing import Callable, Optional

import numpy as np
from scipy.integrate import solve_ivp

from .._validation import check_options, check_rate
from ..information import binary_entropy
from ..models import PIModel
from ._attractors import _analyze, _symmetry_ring
from ._drift import _as_points, drift, jacobian
from ._flows import (_SpinFlow, _UserFlow, _check_ball, _period_pass, gell_mann,
                     qudit_entropy)
from .results import (BlochBallWarning, FloquetResult, MeanFieldResult,
                      MultipleAttractorsWarning, TrajectoryResult)

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


#: Defaults of :func:`trajectory`: looser tolerances than the one-period passes.
_TRAJECTORY_OPTIONS = {**DEFAULT_OPTIONS, "rtol": 1e-10, "atol": 1e-12}


def _options(options, where, defaults=DEFAULT_OPTIONS):
    """``defaults`` updated with ``options`` (unknown keys raise KeyError)."""
    opts = check_options(options, defaults, where)
    if opts["on_leave_ball"] not in ("warn", "raise"):
        raise ValueError("on_leave_ball must be 'warn' or 'raise', got "
                         f"{opts['on_leave_ball']!r}")
    return opts


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
    opts = _options(options, "mmi_limit")
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
    opts = _options(options, "mmi_limit_drift")
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
    opts = _options(options, "trajectory", _TRAJECTORY_OPTIONS)
    rtol, atol = opts["rtol"], opts["atol"]
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
    opts = _options(options, "floquet")
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
