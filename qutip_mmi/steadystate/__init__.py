"""
Steady states of permutation-invariant models, one module per route.

=========  ==============================================================
method     route
=========  ==============================================================
"auto"     "rates" when the model conserves Jz (diagonal steady state),
           "blocks" otherwise (the default)
"rates"    rate equations on p_{J,m} (eqs. 29-30): sparse LU, or
           multifrontal nested dissection on the (J, m) grid when large
"blocks"   reduced block Liouvillian for q >= 0 in real unknowns,
           GMRES + block Gauss-Seidel over q
"piqs"     qutip.piqs Liouvillian + qutip.steadystate (reference; ~1e-8)
"exact"    full 2^N Liouvillian (cross-validation, N <= 10); returns the
           2^N Qobj from :func:`qutip_mmi.exact.steady_state` instead
=========  ==============================================================
"""

from ._common import ConvergenceWarning, SolverInfo, SteadyStateError
from .blocks import BlockSolver, memory_estimate, solve_blocks, solve_rates
from . import piqs_route

__all__ = ["steady_state", "METHODS", "BlockSolver", "SolverInfo",
           "SteadyStateError", "ConvergenceWarning", "memory_estimate"]

METHODS = ("auto", "rates", "blocks", "piqs", "exact")


def steady_state(model, method="auto", options=None):
    """Steady state of a permutation-invariant model.

    Parameters
    ----------
    model : PIModel
        For example :class:`qutip_mmi.LMG`.
    method : {"auto", "rates", "blocks", "piqs", "exact"}
        The route (see the module docstring).
    options : dict, optional
        Route options, e.g. ``tol`` (acceptance bound of the checks),
        ``force_memory`` (try even if the memory estimate does not fit),
        ``x0`` (initial guess for "blocks"), ``steadystate`` (keywords for
        :func:`qutip.steadystate` in the piqs/exact routes).

    Returns
    -------
    PIState
        With ``state.info`` (:class:`SolverInfo`): residual, trace, Hermiticity,
        smallest eigenvalue, seconds, iterations. ``method="exact"`` returns the
        full 2^N ``Qobj``.

    Examples
    --------
    >>> from qutip_mmi import LMG, steady_state, mutual_information
    >>> rho = steady_state(LMG(10, field=0.5, Gamma=2.0))
    >>> round(float(mutual_information(rho)), 6)  # doctest: +SKIP
    """
    from ..models import PIModel
    if not isinstance(model, PIModel):
        raise TypeError(f"model must be a PIModel (e.g. qutip_mmi.LMG), got "
                        f"{type(model).__name__}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if model.N > 1 and not any(model.local_rates.values()):
        raise SteadyStateError(
            "the model has no local process, so every total spin J is conserved and "
            "the steady state is not unique (one per J block); add a local rate "
            "(emission, pumping or dephasing)")
    if method == "auto":
        method = "rates" if model.conserves_excitations() else "blocks"
    if method == "rates":
        return solve_rates(model, options)
    if method == "blocks":
        return solve_blocks(model, options)
    if method == "piqs":
        return piqs_route.solve(model, options)
    from .. import exact
    return exact.steady_state(model, options)
