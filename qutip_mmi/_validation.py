"""Argument checks shared by every module (the bottom floor: imports nothing of ours).

Each check returns the normalized value or raises ``TypeError``/``ValueError``
naming the parameter; :func:`check_options` is the QuTiP-style guard for
``options`` dicts (unknown keys raise ``KeyError`` listing the valid ones).
"""

from __future__ import annotations

import math
import numbers

__all__ = ["check_N", "check_real", "check_rate", "check_complex", "check_options",
           "check_option_keys"]


def check_N(N) -> int:
    """Return N as a Python int, or raise naming the parameter ``N``."""
    if isinstance(N, bool) or not isinstance(N, numbers.Real):
        raise TypeError(f"N must be a positive integer, got {N!r}")
    if isinstance(N, numbers.Integral):
        N = int(N)
    else:
        if not math.isfinite(N) or N != int(N):
            raise ValueError(f"N must be a positive integer, got {N!r}")
        N = int(N)
    if N < 1:
        raise ValueError(f"N must be a positive integer (N >= 1), got {N}")
    return N


def check_real(name: str, value) -> float:
    """Return ``value`` as a finite float, or raise naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_rate(name: str, value) -> float:
    """Return a rate as a finite non-negative float, or raise naming it."""
    value = check_real(name, value)
    if value < 0:
        raise ValueError(f"{name} is a rate and must be >= 0, got {value!r}")
    return value


def check_complex(name, value) -> complex:
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = complex(value)
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_options(options, defaults: dict, where: str) -> dict:
    """``defaults`` updated with ``options``; unknown keys raise ``KeyError``.

    Parameters
    ----------
    options : dict or None
        What the caller passed.
    defaults : dict
        Every valid key with its default value.
    where : str
        The entry point, for the message (e.g. ``"steady_state(method='blocks')"``).

    Examples
    --------
    >>> check_options({"tol": 1e-8}, {"tol": 1e-10, "maxiter": 100}, "f")
    {'tol': 1e-08, 'maxiter': 100}
    >>> check_options({"tolerance": 1}, {"tol": 1e-10}, "f")
    Traceback (most recent call last):
    ...
    KeyError: "f: unknown option(s) ['tolerance']; valid options are ['tol']"
    """
    check_option_keys(options, defaults, where)
    out = dict(defaults)
    out.update(options or {})
    return out


def check_option_keys(options, valid, where: str) -> dict:
    """``dict(options)`` after checking that every key is in ``valid``
    (``KeyError`` naming the valid ones otherwise); for routes whose defaults
    depend on the problem."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"{where}: options must be a dict, got {type(options).__name__}")
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise KeyError(f"{where}: unknown option(s) {unknown}; valid options are "
                       f"{sorted(valid)}")
    return dict(options)
