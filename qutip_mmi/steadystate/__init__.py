"""
Steady states of permutation-invariant models, one module per route.

=========  ==============================================================
method     route
=========  ==============================================================
"auto"     "rates" when the model conserves Jz (diagonal steady state),
           "blocks" otherwise (:func:`resolve_method`)
"rates"    rate equations on p_{J,m} (eqs. 29-30): sparse LU, or
           multifrontal nested dissection on the (J, m) grid when large,
           there only where the weights exceed ~1e-40 of the largest
           (:mod:`.rates`)
"blocks"   reduced block Liouvillian for q >= 0 in real unknowns,
           GMRES + block Gauss-Seidel over q (:mod:`.blocks`)
"piqs"     qutip.piqs Liouvillian + qutip.steadystate (reference; ~1e-8)
           (:mod:`.piqs_route`)
"exact"    full 2^N Liouvillian (cross-validation, N <= 10); the PIState
           projection of :func:`qutip_mmi.exact.steady_state` (:mod:`.exact`)
=========  ==============================================================

Shared pieces: the reduced Liouvillian (:mod:`.liouvillian`), normalization by
pinning (:mod:`._pinning`), the nested-dissection grid solver (:mod:`._nested`),
diagnostics and checks (:mod:`._common`).
"""

from .._resources import resolve_progress_bar
from ._common import ConvergenceWarning, SolverInfo, SteadyStateError
from .blocks import BlockSolver, blocks_memory, solve_blocks
from .rates import rates_memory, solve_rates
from . import exact, piqs_route

__all__ = ["steady_state", "resolve_method", "METHODS", "BlockSolver", "SolverInfo",
           "SteadyStateError", "ConvergenceWarning", "memory_estimate"]

METHODS = ("auto", "rates", "blocks", "piqs", "exact")

_ROUTES = {"rates": solve_rates, "blocks": solve_blocks, "piqs": piqs_route.solve,
           "exact": exact.solve}


def resolve_method(model, method="auto") -> str:
    """The route ``method`` stands for: "auto" becomes "rates" for models that
    conserve Jz (U(1) symmetry, checked on the operators) and "blocks" otherwise.

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> resolve_method(LMG(10, field=0.0)), resolve_method(LMG(10, field=0.5))
    ('rates', 'blocks')
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if method == "auto":
        return "rates" if model.conserves_excitations() else "blocks"
    return method


def memory_estimate(N, diagonal_only: bool, restart: int = 60, q_max=None) -> float:
    """Rough peak bytes of the engine: the rate route (``diagonal_only``) or the
    block route with GMRES restart ``restart`` on the blocks q <= ``q_max``
    (default every q)."""
    return rates_memory(N) if diagonal_only else blocks_memory(N, restart, q_max=q_max)


def steady_state(model, method="auto", options=None, progress_bar=None):
    """Steady state of a permutation-invariant model.

    Parameters
    ----------
    model : PIModel
        For example :class:`qutip_mmi.LMG`.
    method : {"auto", "rates", "blocks", "piqs", "exact"}
        The route (see the module docstring).
    options : dict, optional
        Route options (each route lists its own; unknown keys raise ``KeyError``
        naming the valid ones), e.g. ``tol`` (acceptance bound of the checks),
        ``force_memory`` (try even if the memory estimate does not fit),
        ``x0`` (initial guess for "blocks"), ``truncate`` (default True;
        "rates": solve large grids only where the stationary weights matter;
        "blocks": solve only the coherences of order q <= q_max, q_max grown
        until the blocks left out weigh < 1e-18 of the largest element),
        ``steadystate`` (keywords for :func:`qutip.steadystate` in the
        piqs/exact routes).
    progress_bar : None, bool or str, optional
        QuTiP's progress bar (also accepted as ``options["progress_bar"]``).

    Returns
    -------
    PIState
        With ``state.info`` (:class:`SolverInfo`): residual, trace, Hermiticity,
        smallest eigenvalue, seconds, iterations. For ``method="exact"`` the
        full 2^N ``Qobj`` is :func:`qutip_mmi.exact.steady_state`.

    Examples
    --------
    >>> from qutip_mmi import LMG, steady_state, mutual_information
    >>> rho = steady_state(LMG(10, field=0.5, Gamma=2.0))
    >>> rho.info.method
    'blocks'
    >>> round(float(mutual_information(rho, per_unit=True)), 6)
    0.090051
    """
    from ..models import PIModel
    if not isinstance(model, PIModel):
        raise TypeError(f"model must be a PIModel (e.g. qutip_mmi.LMG), got "
                        f"{type(model).__name__}")
    method = resolve_method(model, method)  # every route checks uniqueness itself
    options = dict(options or {})
    bar = resolve_progress_bar(progress_bar, options)
    if bar is not None:
        if method not in ("rates", "blocks"):
            raise KeyError(f"method {method!r} shows no progress bar; progress_bar "
                           "works with 'rates' and 'blocks'")
        options["progress_bar"] = bar
    return _ROUTES[method](model, options)
