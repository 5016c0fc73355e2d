"""Result objects and warnings of :mod:`qutip_mmi.meanfield`.

The bottom layer of the package: plain containers (attributes, ``as_dict()``
returning JSON-safe data, a readable ``repr``) and the Floquet classification
rule that :class:`FloquetResult` and the attractor search share.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MeanFieldResult", "FloquetResult", "TrajectoryResult",
           "MultipleAttractorsWarning", "BlochBallWarning"]


class MultipleAttractorsWarning(UserWarning):
    """Different initial conditions ended on different attractors."""


class BlochBallWarning(UserWarning):
    """A mean-field trajectory left the Bloch ball (|m| > 1) or the state space."""


def _classify_multipliers(mult, tol):
    """(hyperbolic, attracting) of a periodic orbit from its Floquet multipliers.

    The multiplier closest to 1 is the trivial one (along the flow); it must be 1
    within ``tol``. Hyperbolic: every other one has ``| |mu| - 1 | > tol``;
    attracting: every other one has ``|mu| < 1 - tol``. ``(None, None)`` if
    there are no multipliers.
    """
    mult = np.asarray(mult)
    if mult.size == 0:
        return None, None
    i1 = int(np.argmin(np.abs(mult - 1)))
    others = np.delete(mult, i1)
    trivial_ok = abs(mult[i1] - 1) < tol
    hyperbolic = bool(trivial_ok and np.all(np.abs(np.abs(others) - 1) > tol))
    attracting = bool(trivial_ok and np.all(np.abs(others) < 1 - tol))
    return hyperbolic, attracting


def _fmt(v):
    if v is None:
        return "None"
    if isinstance(v, float):
        return f"{v:.10g}"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, separator=", ")
    return repr(v)


def _reals(v):
    return [float(x) for x in np.asarray(v, dtype=float).ravel()]


def _complexes(v):
    return [[float(z.real), float(z.imag)] for z in np.asarray(v, dtype=complex).ravel()]


class MeanFieldResult:
    """The N -> infinity limit of I_M / N and the attractor it comes from.

    Attributes
    ----------
    mmi_per_unit : float
        ``lim I_M/N = S(rho_<m>) - <S(rho_m)>`` (eq. 13); exactly 0 for a fixed point.
    attractor : {"fixed point", "fixed-point ring", "limit cycle", "other"}
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
    n_initial : int
        Number of initial conditions.
    seconds : float

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> from qutip_mmi.meanfield import mmi_limit
    >>> res = mmi_limit(LMG(1, field=0.0, Gamma=0.5))
    >>> res.attractor, res.as_dict()["floquet_multipliers"]
    ('fixed point', [])
    """

    def __init__(self, att, attractors, seconds, n_initial):
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

    def as_dict(self) -> dict:
        """JSON-safe summary (complex numbers as ``[re, im]`` pairs)."""
        return {
            "mmi_per_unit": self.mmi_per_unit,
            "attractor": self.attractor,
            "period": None if self.period is None else float(self.period),
            "avg_magnetization": _reals(self.avg_magnetization),
            "floquet_multipliers": _complexes(self.floquet_multipliers),
            "eigenvalues": _complexes(self.eigenvalues),
            "hyperbolic": self.hyperbolic,
            "attracting": self.attracting,
            "entropy_of_average": self.entropy_of_average,
            "average_entropy": self.average_entropy,
            "error": self.error,
            "point": _reals(self.point),
            "multiple_attractors": self.multiple_attractors,
            "attractors": self.attractors,
            "n_initial": int(self.n_initial),
            "seconds": float(self.seconds),
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

    Examples
    --------
    >>> fl = FloquetResult([1.0, 0.5, 0.25], 2.0, [0.0, 0.0, 1.0], 1e-5)
    >>> fl  # doctest: +NORMALIZE_WHITESPACE
    FloquetResult(period=2, multipliers=[1.  , 0.5 , 0.25], hyperbolic=True,
                  attracting=True, tol=1e-05)
    >>> fl.as_dict()["multipliers"]
    [[1.0, 0.0], [0.5, 0.0], [0.25, 0.0]]
    """

    def __init__(self, multipliers, period, point, tol):
        self.multipliers = np.asarray(multipliers)
        self.period = float(period)
        self.point = np.asarray(point)
        self.tol = tol
        self.hyperbolic, self.attracting = _classify_multipliers(self.multipliers, tol)

    def as_dict(self) -> dict:
        """JSON-safe summary (complex numbers as ``[re, im]`` pairs)."""
        return {"multipliers": _complexes(self.multipliers), "period": self.period,
                "point": _reals(self.point), "hyperbolic": self.hyperbolic,
                "attracting": self.attracting, "tol": float(self.tol)}

    def __repr__(self):
        return (f"FloquetResult(period={self.period:.10g}, multipliers="
                f"{_fmt(self.multipliers)}, hyperbolic={self.hyperbolic}, "
                f"attracting={self.attracting}, tol={self.tol:g})")


class TrajectoryResult:
    """A mean-field trajectory.

    Attributes
    ----------
    times : ndarray, shape (K,)
    states : ndarray, shape (K, n)
        The state (magnetization m, or xi for qudits) at ``times``.
    sol : callable
        Dense output: ``sol(t)`` is the state at any t in the span, shape (n,).

    Examples
    --------
    >>> import numpy as np
    >>> TrajectoryResult(np.array([0.0, 1.0]), np.array([[0, 0, 1.0], [0, 0, 1.0]]), None)
    TrajectoryResult(2 times in [0, 1], final state [0., 0., 1.])
    """

    def __init__(self, times, states, sol):
        self.times = times
        self.states = states
        self.sol = sol

    def as_dict(self) -> dict:
        """JSON-safe data: ``times`` (list) and ``states`` (list of lists)."""
        return {"times": _reals(self.times),
                "states": [_reals(s) for s in np.asarray(self.states)]}

    def __repr__(self):
        return (f"TrajectoryResult({len(self.times)} times in [{self.times[0]:g}, "
                f"{self.times[-1]:g}], final state {_fmt(self.states[-1])})")
