"""
The rate-equation route: diagonal steady states of q-conserving models.

Models whose terms all conserve q = m - m' (U(1) symmetry, detected from the
model) have a diagonal steady state; the q = 0 block of the reduced
Liouvillian is the rate matrix of eqs. (29)-(30) on the p_{J,m}
(~N^2/4 real unknowns), solved directly: a sparse LU (SuperLU) for small
systems, multifrontal nested dissection on the (J, m) grid (``_nested``) for
large ones, where it is faster and needs far less memory.
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import check_options
from ..state import PIState
from .._resources import check_memory, limit_blas_threads
from ._common import ENGINE_TOL, SteadyStateError, check_unique, finalize, relative_residual
from ._nested import grid_memory
from ._pinning import pin_candidates, pinned_solve
from .liouvillian import QLayout, assemble, state_from_vector

__all__ = ["solve_rates", "rates_memory", "NESTED_MIN", "OPTIONS"]

#: Options of the rate route and their defaults.
OPTIONS = {"tol": ENGINE_TOL, "force_memory": False, "blas_threads": 1, "pin": None,
           "linear_solver": "auto", "progress_bar": None}

#: Rate systems with more unknowns than this use nested dissection.
NESTED_MIN = 400_000


def rates_memory(N) -> float:
    """Rough peak bytes of the rate route (assembly + factors), calibrated on
    0.92, 3.2 and 12.6 GB at N = 1600, 3200, 6400 (estimates 0.86, 3.1, 12.7)."""
    n_diag = (N / 2 + 1) ** 2
    if n_diag > NESTED_MIN:
        return grid_memory(n_diag) + 200.0 * n_diag + 2e8
    return 400.0 * n_diag * max(np.log2(n_diag), 1.0) / 8 + 2e8


def solve_rates(model, options=None) -> PIState:
    """Diagonal steady state of a q-conserving model (rate equations).

    Options: ``tol`` (acceptance, default 1e-10), ``force_memory``,
    ``blas_threads`` (default 1; the nested-dissection solver gives them to its
    largest dense fronts only), ``pin`` (index of the pinned element),
    ``linear_solver`` ("auto", "superlu" or "nested"; auto takes nested
    dissection above 400 000 unknowns), ``progress_bar`` (QuTiP's, for the
    nested-dissection solve).
    """
    options = check_options(options, OPTIONS, "steady_state(method='rates')")
    check_unique(model)
    if not model.conserves_excitations():
        raise ValueError("method='rates' needs a model whose steady state is diagonal "
                         "(all terms conserve Jz); use method='blocks'")
    N = model.N
    check_memory(rates_memory(N), f"the rate equations at N={N}",
                 options["force_memory"])
    t0 = time.perf_counter()
    layout = QLayout(N, [0])
    L = assemble(model, layout)
    # complex coefficients (e.g. a collective jump c Jz) leave round-off
    # imaginary parts on the populations; more than that is not a rate matrix
    if L.nnz and np.abs(L.data.imag).max() > 1e-12 * np.abs(L.data).max():
        raise SteadyStateError("rate matrix is not real: the model is not q-conserving")
    W = L.real.tocsr()
    candidates = [options["pin"]] if options["pin"] is not None else pin_candidates(W)
    solver = options["linear_solver"]
    if solver not in ("auto", "superlu", "nested"):
        raise ValueError(f"linear_solver must be 'auto', 'superlu' or 'nested', "
                         f"got {solver!r}")
    if solver == "auto":
        solver = "nested" if layout.size > NESTED_MIN else "superlu"
    grid = None
    if solver == "nested":
        grid = (np.rint(N / 2 - layout.j).astype(np.int64),
                np.rint(layout.m + N / 2).astype(np.int64),
                options["blas_threads"], options["progress_bar"])
    with limit_blas_threads(options["blas_threads"]):
        x, k0, stored = pinned_solve(W, candidates, grid)
        passes = 1
        best = int(np.argmax(np.abs(x)))
        if abs(x[k0]) < 1e-200 * abs(x[best]):
            # The direct solve gives x = p / p_k0 accurately even for a pinned
            # weight of 1e-15 of the largest (checked: I_M agrees to 1e-16
            # relative with a re-pinned solve at N = 1600); only a pinned weight
            # near underflow needs a second pass.
            x, k0, stored = pinned_solve(W, [best], grid)
            passes = 2
    if not np.isfinite(x).all():
        raise SteadyStateError("rate equations: the solve produced NaN/inf "
                               "(singular rate matrix: is the steady state unique?)")
    seconds = time.perf_counter() - t0
    x = x / x.sum()
    residual = relative_residual(W, x)
    state = state_from_vector(N, layout, x)
    return finalize(state, "rates", residual, seconds, options["tol"],
                    unknowns=layout.size, linear_solver=solver, factor_entries=stored,
                    passes=passes)
