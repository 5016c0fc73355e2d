"""Finite-size extrapolation N -> infinity with an honest error bar.

Re-exported by :mod:`qutip_mmi.figures` (``extrapolate``, ``Extrapolation``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["extrapolate", "Extrapolation"]

#: Effective exponents p (y ~ a + b N^-p from three consecutive sizes) accepted
#: as "1/N with a 1/N^2 correction"; outside, the sizes are not asymptotic yet.
P_RANGE = (0.75, 2.5)

#: Largest change of the effective exponent between neighbouring triples of
#: sizes: a drifting exponent means the sizes are still in a crossover.
P_DRIFT = 0.2


class Extrapolation:
    """Result of :func:`extrapolate`.

    Attributes
    ----------
    estimate : float
        The N -> infinity value a of the chosen fit (NaN when ``consistent`` is
        False; the fit over the largest sizes is still given).
    error : float
        sqrt(statistical^2 + model^2): statistical from the fit covariance
        (residual variance; 0 for an exact fit), model the largest difference
        between ``estimate`` and the other fits (with and without the 1/N^2
        term, with the smallest sizes dropped one by one, and the two largest
        sizes extrapolated as a + b N^-p with each measured exponent p).
    consistent : bool
        False when the data do not support a 1/N extrapolation (fewer than four
        sizes, differences that change sign, or convergence slower or faster
        than 1/N: see ``reason``). Figures draw no marker then.
    reason : str
        Why the fit is not consistent ("" when it is).
    order : int
        1 (a + b/N) or 2 (a + b/N + c/N^2): the chosen fit.
    coefficients : numpy.ndarray
        (a, b[, c]) of the chosen fit.
    Ns : list of int
        All sizes given.
    Ns_used : list of int
        The sizes of the chosen fit (the largest ones that look asymptotic).
    exponents : list of float
        Effective exponent p of each three consecutive sizes (1 for an exact
        a + b/N series).
    candidates : list of dict
        Every fit tried: ``{"order", "Ns", "estimate"}``.
    """

    def __init__(self, estimate, error, order, coefficients, Ns, Ns_used=None,
                 consistent=True, reason="", exponents=(), candidates=(),
                 statistical=0.0, model=0.0):
        self.estimate = float(estimate)
        self.error = float(error)
        self.order = int(order)
        self.coefficients = np.asarray(coefficients, dtype=float)
        self.Ns = [int(n) for n in Ns]
        self.Ns_used = list(self.Ns if Ns_used is None else [int(n) for n in Ns_used])
        self.consistent = bool(consistent)
        self.reason = str(reason)
        self.exponents = [float(p) for p in exponents]
        self.candidates = list(candidates)
        self.statistical = float(statistical)
        self.model = float(model)

    def as_dict(self):
        """JSON-safe dictionary (NaN written as None)."""
        def num(v):
            return None if not math.isfinite(v) else float(v)
        return {"estimate": num(self.estimate), "error": num(self.error),
                "consistent": self.consistent, "reason": self.reason,
                "order": self.order,
                "coefficients": [num(c) for c in self.coefficients],
                "Ns": self.Ns, "Ns_used": self.Ns_used,
                "statistical_error": num(self.statistical),
                "model_error": num(self.model),
                "exponents": [num(p) for p in self.exponents],
                "candidates": [{**c, "estimate": num(c["estimate"])}
                               for c in self.candidates]}

    def __repr__(self):
        flag = "" if self.consistent else f", consistent=False ({self.reason})"
        return (f"Extrapolation(estimate={self.estimate:.6g}, error={self.error:.2g}, "
                f"order={self.order}, Ns_used={self.Ns_used}{flag})")


def _fit(x, y, order):
    A = np.vander(x, order + 1, increasing=True)  # columns 1, 1/N, 1/N^2
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    dof = len(x) - (order + 1)
    stat = 0.0
    if dof > 0:
        resid = y - A @ coef
        s2 = float(resid @ resid) / dof
        stat = math.sqrt(max(float(np.linalg.inv(A.T @ A)[0, 0]) * s2, 0.0))
    return coef, stat


def _exponent(N, y):
    """p with (y1 - y0)/(y2 - y1) = (N0^-p - N1^-p)/(N1^-p - N2^-p), or NaN."""
    d1, d2 = y[1] - y[0], y[2] - y[1]
    if d1 == 0 or d2 == 0 or (d1 > 0) != (d2 > 0):
        return math.nan
    target = d1 / d2

    def ratio(p):
        a, b, c = (float(n) ** -p for n in N)
        return (a - b) / (b - c)

    lo, hi = 1e-3, 8.0   # ratio(p) increases with p
    if not ratio(lo) <= target <= ratio(hi):
        return 0.0 if target < ratio(lo) else math.inf
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if ratio(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def extrapolate(Ns, values, order="auto") -> Extrapolation:
    """Finite-size extrapolation of I_M/N: least-squares fit of a + b/N (+ c/N^2).

    The fit uses the largest sizes whose values look asymptotic: each three
    consecutive sizes must change monotonically with an effective exponent p
    (y ~ a + b N^-p) in ``P_RANGE`` (0.75 to 2.5), and p must not drift by
    ``P_DRIFT`` (0.2) or more from one triple to the next; smaller sizes that
    break this are dropped. The error bar adds to the fit's statistical error
    the largest difference to the other fits (orders 1 and 2, smallest sizes
    dropped one by one, the two largest sizes extrapolated with each measured
    exponent). The result is flagged ``consistent=False`` with a ``reason``
    unless at least four sizes (two agreeing exponents) remain: one exponent
    alone can agree with 1/N by accident, e.g. at an inflection of the
    finite-size curve. This is a necessary check, not a proof: a crossover at
    sizes beyond the data cannot be seen in them.

    Parameters
    ----------
    Ns : sequence of int
        System sizes (at least two distinct ones).
    values : sequence of float
        I_M/N (or any quantity with 1/N corrections) at those sizes.
    order : {"auto", 1, 2}
        The fit whose ``a`` is reported: 1 (a + b/N) or 2 (a + b/N + c/N^2,
        needs three sizes). "auto": 2 with four or more usable sizes, else 1.

    Returns
    -------
    Extrapolation

    Examples
    --------
    >>> e = extrapolate([10, 20, 40, 80], [0.5 + 1 / n for n in (10, 20, 40, 80)])
    >>> round(e.estimate, 12), e.consistent
    (0.5, True)
    >>> extrapolate([10, 20], [0.6, 0.55]).consistent
    False
    """
    N = np.asarray(Ns, dtype=float)
    y = np.asarray(values, dtype=float)
    if N.ndim != 1 or N.shape != y.shape:
        raise ValueError("Ns and values must be 1-D sequences of the same length")
    if not (np.isfinite(N).all() and np.isfinite(y).all()):
        raise ValueError("Ns and values must be finite")
    if (N <= 0).any():
        raise ValueError("Ns must be positive")
    if len(set(N.tolist())) != len(N):
        raise ValueError("Ns must be distinct")
    if len(N) < 2:
        raise ValueError("extrapolate needs at least two distinct system sizes")
    if order not in ("auto", 1, 2):
        raise ValueError(f"order must be 'auto', 1 or 2, got {order!r}")
    if order == 2 and len(N) < 3:
        raise ValueError("order 2 needs at least three distinct sizes")
    idx = np.argsort(N)
    N, y = N[idx], y[idx]
    allN = [int(round(n)) for n in N]

    exps = [_exponent(N[k:k + 3], y[k:k + 3]) for k in range(len(N) - 2)]
    ok = [P_RANGE[0] <= p <= P_RANGE[1] for p in exps]
    # the longest tail of sizes whose triples are all acceptable, with an
    # exponent that does not drift from one triple to the next
    start = len(N) - 2
    if len(N) >= 3 and ok[-1]:
        start = len(N) - 3
        while start > 0 and ok[start - 1] and abs(exps[start - 1] - exps[start]) < P_DRIFT:
            start -= 1
    tail = slice(start, None)
    nexp = max(len(N) - 2 - start, 0)      # exponents measured inside the tail
    Nt, yt = N[tail], y[tail]
    n = len(Nt)
    use = order if order != "auto" else (2 if n >= 4 else 1)
    if use == 2 and n < 3:
        use = 1
    x = 1.0 / Nt
    coef, stat = _fit(x, yt, use)
    est = float(coef[0])
    cands = []
    for k in range(n - 1):          # drop the k smallest sizes of the tail
        for o in (1, 2):
            if n - k >= o + 1 and (o, k) != (use, 0):
                a = float(_fit(x[k:], yt[k:], o)[0][0])
                cands.append({"order": o, "Ns": [int(round(v)) for v in Nt[k:]],
                              "estimate": a})
    # the two largest sizes extrapolated with each measured local exponent
    for p in exps[start:start + nexp]:
        a = float(yt[-1] + (yt[-1] - yt[-2]) / ((Nt[-1] / Nt[-2]) ** p - 1.0))
        cands.append({"order": f"N^-{p:.3g}", "Ns": [int(round(v)) for v in Nt[-2:]],
                      "estimate": a})
    model = max((abs(c["estimate"] - est) for c in cands), default=0.0)
    if n == 2:                      # also the distance to the largest size
        model = max(model, abs(est - yt[-1]))
    consistent, reason = True, ""
    if len(N) < 4:
        consistent = False
        reason = (f"only {len(N)} sizes: the 1/N form needs two checks "
                  "(four sizes) to be trusted")
    elif nexp == 0:
        p = exps[-1]
        consistent = False
        if math.isnan(p):
            reason = "the values at the three largest sizes are not monotonic in N"
        else:
            reason = (f"effective exponent p = {p:.2g} at the largest sizes "
                      f"(y ~ a + b N^-p; 1/N needs p in {P_RANGE[0]:g}..{P_RANGE[1]:g})")
    elif nexp == 1:
        consistent = False
        shown = ", ".join(f"{p:.2g}" for p in exps)
        reason = (f"the effective exponent is in range only at the three largest "
                  f"sizes (p = {shown} from the smallest sizes up; a 1/N approach "
                  f"needs two agreeing exponents, within {P_DRIFT:g})")
    return Extrapolation(est, math.hypot(stat, model), use, coef, allN,
                         [int(round(v)) for v in Nt], consistent, reason, exps, cands,
                         stat, model)
