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
import scipy.sparse as sp

from .._validation import check_options
from ..state import PIState
from .._resources import check_memory, limit_blas_threads
from ._common import ENGINE_TOL, SteadyStateError, check_unique, finalize, relative_residual
from ._nested import grid_memory
from ._pinning import pin_candidates, pinned_solve
from .liouvillian import QLayout, assemble, state_from_vector

__all__ = ["solve_rates", "rates_memory", "NESTED_MIN", "TRUNCATE_MIN", "OPTIONS"]

#: Options of the rate route and their defaults.
OPTIONS = {"tol": ENGINE_TOL, "force_memory": False, "blas_threads": 1, "pin": None,
           "linear_solver": "auto", "truncate": True, "progress_bar": None}

#: Rate systems with more unknowns than this use nested dissection.
NESTED_MIN = 400_000


#: Above this many unknowns the stationary weights are first predicted from the
#: model at N/2 and only the region where they matter is solved (see
#: :func:`_truncated_solve`).
TRUNCATE_MIN = NESTED_MIN
#: The weights at N are predicted from those at N // COARSENING.
COARSENING = 2
#: Regions larger than this fraction of the grid are not worth it: whole grid.
MAX_KEPT_FRACTION = 0.6
#: The predicting levels are truncated too, down to this size.
COARSE_MIN = 40_000
#: (kept, edge) decades of the predicting levels: their weights are used
#: down to 10^-(KEEP_DECADES / COARSENING).
COARSE_DECADES = (32.0, 25.0)
#: The region kept: predicted weights above 10^-KEEP_DECADES of the largest.
KEEP_DECADES = 40.0
#: Accepted when the weights on the region's edge (its states with rates out of
#: it) are below 10^-EDGE_DECADES of the largest; else the region grows.
EDGE_DECADES = 30.0


def rates_memory(N) -> float:
    """Rough peak bytes of the rate route (assembly + factors).

    Full solves: calibrated on 0.92, 3.2 and 12.6 GB at N = 1600, 3200, 6400
    (estimates 0.86, 3.1, 12.7). Above TRUNCATE_MIN unknowns, where only the
    region of non-negligible weight is solved, the arrays over the whole grid
    dominate: calibrated on LMG(N, Gamma=2) peaks of 2.07 and 7.17 GiB at
    N = 6400 and 12800 (estimates 2.05 and 7.63 GiB). The region's own factors are
    estimated and checked once it is known, and the whole grid's before a
    fallback to it.
    """
    n_diag = (N / 2 + 1) ** 2
    if n_diag > TRUNCATE_MIN:
        return 195.0 * n_diag + 2e8
    return _full_memory(N)


def _full_memory(N):
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
    dissection above 400 000 unknowns), ``truncate`` (default True: above
    400 000 unknowns, solve only where the stationary weights exceed ~1e-40 of
    the largest, as predicted from the model at N/2, and accept when the
    weights on that region's edge are below 1e-30 of the largest; False: the
    whole grid), ``progress_bar`` (QuTiP's, for the nested-dissection solve).
    """
    options = check_options(options, OPTIONS, "steady_state(method='rates')")
    check_unique(model)
    if not model.conserves_excitations():
        raise ValueError("method='rates' needs a model whose steady state is diagonal "
                         "(all terms conserve Jz); use method='blocks'")
    if options["linear_solver"] not in ("auto", "superlu", "nested"):
        raise ValueError(f"linear_solver must be 'auto', 'superlu' or 'nested', "
                         f"got {options['linear_solver']!r}")
    if not isinstance(options["truncate"], (bool, np.bool_)):
        raise ValueError(f"options['truncate'] must be True or False, got "
                         f"{options['truncate']!r}")
    N = model.N
    check_memory(rates_memory(N) if options["truncate"] else _full_memory(N),
                 f"the rate equations at N={N}", options["force_memory"])
    t0 = time.perf_counter()
    with limit_blas_threads(options["blas_threads"]):
        layout, W, x, facts = _solve(model, options)
    seconds = time.perf_counter() - t0
    x = x / x.sum()
    residual = relative_residual(W, x)
    state = state_from_vector(N, layout, x)
    return finalize(state, "rates", residual, seconds, options["tol"],
                    unknowns=layout.size, **facts)


def _rate_matrix(model, layout, rows=None):
    """Rows ``rows`` (default all) of the rate matrix on ``layout``, real CSR."""
    L = assemble(model, layout, rows=rows)
    # complex coefficients (e.g. a collective jump c Jz) leave round-off
    # imaginary parts on the populations; more than that is not a rate matrix
    if L.nnz and np.abs(L.data.imag).max() > 1e-12 * np.abs(L.data).max():
        raise SteadyStateError("rate matrix is not real: the model is not q-conserving")
    return L.real.tocsr()


def _grid_of(layout):
    """(a, b) = (N/2 - J, m + N/2): the (J, m) grid as non-negative integers."""
    N = layout.N
    return (np.rint(N / 2 - layout.j).astype(np.int64),
            np.rint(layout.m + N / 2).astype(np.int64))


def _solve(model, options, smallest=None, coarse=False):
    """(layout, W, x unnormalized, facts for SolverInfo); grids of more than
    ``smallest`` (default TRUNCATE_MIN) unknowns are truncated
    (:func:`_truncated_solve`). W holds the rows of the rate matrix that x
    reaches (all, without truncation)."""
    smallest = TRUNCATE_MIN if smallest is None else smallest
    layout = QLayout(model.N, [0])
    solver = options["linear_solver"]
    if solver == "auto":
        solver = "nested" if layout.size > min(NESTED_MIN, smallest) else "superlu"
    grid = None
    if solver == "nested":
        grid = _grid_of(layout) + (options["blas_threads"], options["progress_bar"])
    facts = {"linear_solver": solver}
    if (options["truncate"] and solver == "nested" and options["pin"] is None
            and layout.size > smallest and model.N >= 4):
        found = _truncated_solve(model, layout, grid, options, coarse)
        if found is not None:
            W, x, facts_t = found
            return layout, W, x, {**facts, **facts_t}
        check_memory(_full_memory(model.N), f"the rate equations at N={model.N} (the "
                     "weights are not negligible on most of the grid: all of it is "
                     "solved)", options["force_memory"])
    W = _rate_matrix(model, layout)
    candidates = [options["pin"]] if options["pin"] is not None else pin_candidates(W)
    x, stored, passes = _pinned_solve_repinned(W, candidates, grid)
    if not np.isfinite(x).all():
        raise SteadyStateError("rate equations: the solve produced NaN/inf "
                               "(singular rate matrix: is the steady state unique?)")
    return layout, W, x, {**facts, "factor_entries": stored, "passes": passes,
                          "kept": layout.size}


def _pinned_solve_repinned(W, candidates, grid):
    """(x, factor entries, passes): :func:`pinned_solve`, once more pinned at
    the largest weight if the pinned one is near underflow."""
    x, k0, stored = pinned_solve(W, candidates, grid)
    best = int(np.argmax(np.abs(x)))
    if abs(x[k0]) >= 1e-200 * abs(x[best]):
        # The direct solve gives x = p / p_k0 accurately even for a pinned
        # weight of 1e-15 of the largest (checked: I_M agrees to 1e-16
        # relative with a re-pinned solve at N = 1600); only a pinned weight
        # near underflow needs a second pass.
        return x, stored, 1
    x, _, stored = pinned_solve(W, [best], grid)
    return x, stored, 2


def _truncated_solve(model, layout, grid, options, coarse=False):
    """Solve only where the stationary weights matter: (W rows, x, facts) or None.

    The weights follow a large-deviation law, log p(J, m) ~ -N phi(J/N, m/N)
    (the model's rates scale with N as written), and span hundreds of decades
    (at N = 1600 most states carry less than 1e-20 of the largest). The
    model at N/2 (solved the same way, recursively) predicts log p at N by
    doubling its logarithms on the rescaled grid (the largest of the four
    nearest coarse points: conservative); the states within KEEP_DECADES of
    the largest are kept. Their rate matrix, with the rates out of the region
    removed (a chain that never leaves it), is solved by nested dissection.
    The result is accepted when the weights on the region's edge are below
    10^-EDGE_DECADES of the largest: the dropped states then change the kept
    weights by about as little (checked against full solves in the tests),
    and the residual on the whole grid is checked as always (only the rows
    next to the region can be nonzero: every jump moves J and m by one at
    most, so only those rows are assembled). Otherwise the region grows by
    30 decades (within the image of the smaller model's own region: outside
    it the prediction is zero), and then the whole grid is solved.
    """
    N = model.N
    # the coarse levels only predict: truncated themselves down to COARSE_MIN
    # (their weights matter down to 10^-KEEP/2: they keep COARSE_DECADES)
    try:
        below = _solve(model.replace(N=N // COARSENING), {**options, "progress_bar": None},
                       smallest=COARSE_MIN, coarse=True)
    except (SteadyStateError, np.linalg.LinAlgError):
        return None  # the smaller model has no unique steady state: no prediction
    if not np.isfinite(below[2]).all() or not abs(below[2].sum()) > 0:
        return None
    logp = _predict(layout, below[0], below[2])
    first, edge_limit = (COARSE_DECADES if coarse else (KEEP_DECADES, EDGE_DECADES))
    a, b = grid[0], grid[1]
    for keep in (first, first + 30.0):
        inside = logp >= -keep
        S = np.flatnonzero(inside)
        if S.size > MAX_KEPT_FRACTION * layout.size:
            return None  # not worth it: the whole grid
        R = np.flatnonzero(_dilate(inside, a, b))   # S and the states next to it
        check_memory(grid_memory(S.size) + 150.0 * R.size,
                     f"the rate equations at N={N} (region of {S.size} states)",
                     options["force_memory"])
        W = _rate_matrix(model, layout, rows=R)
        in_S = inside[R]
        WS = W[in_S][:, S].tocsr()
        # the rates out of the region (to the rows of R outside S: every row
        # that S feeds is in R) leave the diagonal, so that no probability is
        # lost; summed directly (a difference of column sums would leave
        # rounding on every diagonal element)
        out = np.asarray(W[~in_S][:, S].sum(axis=0)).ravel()
        WS = (WS + sp.diags(out)).tocsr()
        candidates = np.argsort(-logp[S], kind="stable")[:6]
        sub_grid = (a[S], b[S]) + tuple(grid[2:])
        try:
            xs, stored, passes = _pinned_solve_repinned(WS, candidates, sub_grid)
        except SteadyStateError:
            return None
        if not np.isfinite(xs).all():
            return None
        edge = out > 0
        edge_weight = float(np.abs(xs[edge]).max(initial=0.0) / np.abs(xs).max())
        if edge_weight <= 10.0 ** -edge_limit:
            x = np.zeros(layout.size)
            x[S] = xs
            return W, x, {"factor_entries": stored, "passes": passes, "kept": int(S.size),
                          "edge_weight": edge_weight}
    return None


def _dilate(inside, a, b):
    """The states of ``inside`` and their grid neighbours (|da|, |db| <= 1)."""
    G = np.zeros((a.max() + 3, b.max() + 3), bool)
    G[a[inside] + 1, b[inside] + 1] = True
    D = G.copy()
    for da in (-1, 0, 1):
        for db in (-1, 0, 1):
            D[1:-1, 1:-1] |= G[1 + da:G.shape[0] - 1 + da, 1 + db:G.shape[1] - 1 + db]
    return D[a + 1, b + 1]


def _predict(layout, coarse_layout, xc):
    """log10 of the predicted weights on ``layout`` (relative to the largest)
    from the weights xc on the grid of N/2."""
    ac, bc = _grid_of(coarse_layout)
    xc = xc / xc.sum()  # pinned at a small weight, x can come out scaled by -1e18
    with np.errstate(divide="ignore"):
        lc = np.log10(np.maximum(xc, 0.0) / xc.max())
    G = np.full((ac.max() + 2, bc.max() + 2), -np.inf)
    G[ac, bc] = lc
    a, b = _grid_of(layout)
    ratio = coarse_layout.N / layout.N
    u, v = a * ratio, b * ratio
    u0 = np.minimum(np.floor(u).astype(np.int64), G.shape[0] - 2)
    v0 = np.minimum(np.floor(v).astype(np.int64), G.shape[1] - 2)
    g = np.maximum(np.maximum(G[u0, v0], G[u0 + 1, v0]),
                   np.maximum(G[u0, v0 + 1], G[u0 + 1, v0 + 1]))
    return g / ratio
