"""Shared pieces of the steady-state routes: diagnostics, checks, resources."""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

__all__ = ["SolverInfo", "SteadyStateError", "ConvergenceWarning",
           "check_memory", "available_memory", "limit_blas_threads"]


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


def relative_residual(L, x) -> float:
    """||L x||_inf / (||L||_inf ||x||_inf) for a sparse L."""
    r = np.abs(L @ x).max()
    nl = np.abs(L).sum(axis=1).max()
    nx = np.abs(x).max()
    return float(r / (nl * nx)) if nl > 0 and nx > 0 else float(r)


def finalize(state, method, residual, seconds, tol, iterations=None, **extra):
    """Check a computed state, attach :class:`SolverInfo`, raise if it is bad.

    ``tol`` bounds |trace - 1|, the Hermiticity defect, the most negative
    eigenvalue and the residual; the route states what it can reach.
    """
    check = state.check()
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
    for eig in state.block_eigenvalues():
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


def available_memory() -> int:
    """Bytes of memory available to this process (MemAvailable, else physical)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def check_memory(needed: float, what: str, force: bool = False):
    """Raise ``MemoryError`` before allocating if ``needed`` bytes will not fit.

    With ``force=True`` only warn.
    """
    have = available_memory()
    if needed > have:
        msg = (f"{what} needs about {needed / 2**30:.1f} GiB, but only "
               f"{have / 2**30:.1f} GiB is available")
        if force:
            warnings.warn(msg + " (continuing because force_memory=True)",
                          ResourceWarning, stacklevel=3)
        else:
            raise MemoryError(msg + "; pass options={'force_memory': True} to try anyway")


@contextlib.contextmanager
def limit_blas_threads(n=1):
    """Limit BLAS threads inside a heavy sparse solve, restoring them afterwards.

    Sparse LU and Krylov solvers call small dense kernels; with more BLAS threads
    than free cores they were 30-100x slower on a loaded 2-core machine.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def progress_bar_name(progress_bar):
    """Resolve QuTiP's ``progress_bar`` option: None/False/"" (none), True (tqdm
    if installed, else text), or a key of :data:`qutip.ui.progressbar.progress_bars`."""
    from qutip.ui.progressbar import progress_bars
    if progress_bar is None or progress_bar is False or progress_bar == "":
        return None
    if progress_bar is True or progress_bar in ("tqdm", "Tqdm"):
        try:
            import tqdm  # noqa: F401
            return "tqdm"
        except ImportError:
            return "text"
    if progress_bar not in progress_bars:
        raise ValueError(f"unknown progress_bar {progress_bar!r}; choose None, True or "
                         f"one of {sorted(k for k in progress_bars if isinstance(k, str))}")
    return progress_bar


def make_progress_bar(progress_bar, total, **kwargs):
    """A QuTiP progress bar with ``total`` steps, or a silent stand-in."""
    name = progress_bar_name(progress_bar)
    if name is None:
        return _Silent()
    from qutip.ui.progressbar import progress_bars
    return progress_bars[name](total, **kwargs)


class _Silent:
    def update(self):
        pass

    def finished(self):
        pass
