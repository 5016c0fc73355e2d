"""Shared pieces of the steady-state routes: diagnostics, checks, resources."""

from __future__ import annotations

import numpy as np

#: Default acceptance bound of the engine routes on residual, trace, Hermiticity
#: and negativity.
ENGINE_TOL = 1e-10

__all__ = ["ENGINE_TOL", "check_unique", "SolverInfo", "SteadyStateError", "ConvergenceWarning", "relative_residual", "norm_inf", "factor_dtype",
           "finalize", "finalize_full"]


class SteadyStateError(RuntimeError):
    """A steady-state route failed or produced a state that fails its checks."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped above its tolerance (the residual is reported)."""


class SolverInfo:
    """Diagnostics attached to every steady state (``state.info``).

    Attributes
    ----------
    method : str
        The route that produced the state ("piqs", "blocks", "rates", "exact").
    residual : float
        ``||L rho||_inf / (||L||_inf ||rho||_inf)`` on the route's own Liouvillian.
    trace, hermiticity, min_eigenvalue : float
        Checks of the returned state.
    seconds : float
        Wall time of the solve.
    iterations : int or None
        Iterations of the iterative solver (None for direct solves).
    clipped : float
        Total weight of negative eigenvalues treated as round-off (0 if none).
    extra : dict
        Route-specific details (sizes, memory estimate, precision notes).
    """

    def __init__(self, method, residual, check, seconds, iterations=None,
                 clipped=0.0, **extra):
        self.method = method
        self.residual = float(residual)
        self.trace = check.trace
        self.hermiticity = check.hermiticity
        self.min_eigenvalue = check.min_eigenvalue
        self.seconds = float(seconds)
        self.iterations = iterations
        self.clipped = float(clipped)
        self.extra = extra

    def as_dict(self):
        d = {k: getattr(self, k) for k in ("method", "residual", "trace", "hermiticity",
                                           "min_eigenvalue", "seconds", "iterations",
                                           "clipped")}
        d.update(self.extra)
        return d

    def __repr__(self):
        it = "" if self.iterations is None else f", iterations={self.iterations}"
        return (f"SolverInfo(method={self.method!r}, residual={self.residual:.2e}, "
                f"trace-1={self.trace - 1:.1e}, hermiticity={self.hermiticity:.1e}, "
                f"min_eigenvalue={self.min_eigenvalue:.1e}, seconds={self.seconds:.3g}{it})")


def check_unique(model):
    """Raise :class:`SteadyStateError` where the steady state is not unique.

    Without any dissipator every eigenstate of H is stationary; without a local
    process (N > 1) every total spin J is conserved, one steady state per J
    block. Every route calls this before solving.
    """
    local = any(model.local_rates.values())
    if not local and not model.collective:
        raise SteadyStateError(
            "the model has no dissipator (no collective jump, no local rate): every "
            "eigenstate of H is stationary and the steady state is not unique")
    if model.N > 1 and not local:
        raise SteadyStateError(
            "the model has no local process, so every total spin J is conserved and "
            "the steady state is not unique (one per J block); add a local rate "
            "(emission, pumping or dephasing)")


def factor_dtype(lu) -> np.dtype:
    """The dtype of a SuperLU factorization, from a solve of zeros (reading
    ``lu.L`` would copy the whole factor, on every call)."""
    return lu.solve(np.zeros(lu.shape[0], np.float32)).dtype


def relative_residual(L, x, norm=None) -> float:
    """||L x||_inf / (||L||_inf ||x||_inf) for a sparse L (``norm``: ||L||_inf
    if known)."""
    r = np.abs(L @ x).max()
    nl = norm_inf(L) if norm is None else norm
    nx = np.abs(x).max()
    return float(r / (nl * nx)) if nl > 0 and nx > 0 else float(r)


def norm_inf(L) -> float:
    """||L||_inf (largest absolute row sum) of a sparse matrix."""
    return float(np.abs(L).sum(axis=1).max())


def finalize(state, method, residual, seconds, tol, iterations=None, **extra):
    """Check a computed state, attach :class:`SolverInfo`, raise if it is bad.

    ``tol`` bounds |trace - 1|, the Hermiticity defect, the most negative
    eigenvalue and the residual; the route states what it can reach.
    """
    eigenvalues = state.block_eigenvalues()
    check = state.check(eigenvalues)
    problems = []
    if not np.isfinite(residual) or residual > tol:
        problems.append(f"residual {residual:.3e} > {tol:.1e}")
    if abs(check.trace - 1) > tol:
        problems.append(f"trace {check.trace:.15g}")
    if check.hermiticity > tol:
        problems.append(f"Hermiticity defect {check.hermiticity:.3e}")
    if check.min_eigenvalue < -tol:
        problems.append(f"negative eigenvalue {check.min_eigenvalue:.3e}")
    if problems:
        raise SteadyStateError(f"{method} steady state failed its checks: "
                               + "; ".join(problems))
    clipped = 0.0
    for eig in eigenvalues:
        clipped += float(-eig[eig < 0].sum())
    state.info = SolverInfo(method, residual, check, seconds, iterations, clipped, **extra)
    return state


def finalize_full(rho, residual, seconds, tol):
    """The checks of :func:`finalize` for a full 2^N density matrix (``Qobj``)."""
    mat = rho.full()
    herm = float(np.abs(mat - mat.conj().T).max())
    mineig = float(np.linalg.eigvalsh(0.5 * (mat + mat.conj().T))[0])
    trace = float(np.trace(mat).real)
    problems = []
    if not np.isfinite(residual) or residual > tol:
        problems.append(f"residual {residual:.3e} > {tol:.1e}")
    if abs(trace - 1) > tol:
        problems.append(f"trace {trace:.15g}")
    if herm > tol:
        problems.append(f"Hermiticity defect {herm:.3e}")
    if mineig < -tol:
        problems.append(f"negative eigenvalue {mineig:.3e}")
    if problems:
        raise SteadyStateError("exact steady state failed its checks: " + "; ".join(problems))
    return {"residual": residual, "trace": trace, "hermiticity": herm,
            "min_eigenvalue": mineig, "seconds": seconds}
