"""Normalization by pinning, shared by the direct and iterative routes.

A steady state solves L x = 0 with trace one. Replacing the equation of one
diagonal element by "this element = 1" (a sparse row, unlike the dense trace
row, which destroys the sparsity of LU factors) makes the system regular when
that element has stationary weight; the solution is divided by its trace
afterwards. These helpers pick where to pin and solve the pinned system.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from ._common import SteadyStateError
from ._nested import grid_solve

__all__ = ["pin_row_in_place", "pin_system", "pinned_solve", "pin_candidates",
           "guess_weights"]


def pin_row_in_place(A, k):
    """Set row k of the CSR matrix A to e_k^T in place, if A stores (k, k).

    Returns the row's old values (to undo the pin), or None when the diagonal
    entry is not stored and nothing was changed.
    """
    start, stop = A.indptr[k], A.indptr[k + 1]
    on_diagonal = np.flatnonzero(A.indices[start:stop] == k)
    if not on_diagonal.size:
        return None
    saved = A.data[start:stop].copy()
    A.data[start:stop] = 0.0
    A.data[start + on_diagonal[0]] = 1.0
    return saved


def pin_system(A, k0):
    """A copy of A with row k0 replaced by e_{k0}^T (keeps A sparse)."""
    A = A.tocsr(copy=True)
    if pin_row_in_place(A, k0) is None:  # no stored diagonal: a sparse sum
        A.data[A.indptr[k0]:A.indptr[k0 + 1]] = 0.0
        A = A + sp.csr_matrix(([1.0], ([k0], [k0])), shape=A.shape)
    A.eliminate_zeros()
    return A


def guess_weights(W, steps=60):
    """Weights after some steps of the uniformised dynamics from a flat start."""
    d = -W.diagonal().real
    lam = d.max() * 1.05 if d.size and d.max() > 0 else 1.0
    p = np.full(W.shape[0], 1.0 / W.shape[0])
    for _ in range(steps):
        p = p + (W @ p).real / lam
    return p


def pinned_solve(W, candidates, grid=None):
    """Solve W x = 0 pinned at the first candidate for which the system is regular.

    Pinning an element whose stationary weight is exactly zero (a transient
    state) makes the pinned matrix singular; the next candidate is tried.
    ``grid = (coord0, coord1, threads, progress_bar)`` selects the
    nested-dissection solver.
    Returns (x, k0, number of stored factor entries).
    """
    last = None
    for k0 in candidates:
        k0 = int(k0)
        rhs = np.zeros(W.shape[0], W.dtype)
        rhs[k0] = 1.0
        A = pin_system(W, k0)
        try:
            if grid is None:
                lu = spl.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")
                x, stored = lu.solve(rhs), int(lu.nnz)
            else:
                with warnings.catch_warnings():
                    # ill-conditioned fronts are judged by the final residual
                    warnings.simplefilter("ignore", sla.LinAlgWarning)
                    x, stored = grid_solve(A, rhs, grid[:2], threads=grid[2],
                                           progress_bar=grid[3])
        except (RuntimeError, np.linalg.LinAlgError) as exc:  # exactly singular
            last = exc
            continue
        if np.isfinite(x).all():
            return x, k0, stored
    raise SteadyStateError("the Liouvillian is singular for every pinned element tried "
                           f"({last}): is the steady state unique?")


def pin_candidates(W, count=6):
    """Elements to pin, taken from the closed communicating class of W's graph.

    A stationary state has weight only on closed (recurrent) classes of the
    transition graph (edge j -> i where W[i, j] != 0); pinning a transient element
    makes the system singular. Several closed classes mean several steady states.
    """
    from scipy.sparse.csgraph import connected_components
    coo = sp.coo_matrix(W)
    off = (coo.row != coo.col) & (coo.data != 0)
    rows, cols = coo.row[off], coo.col[off]
    graph = sp.csr_matrix((np.ones(rows.size), (cols, rows)), shape=W.shape)
    ncomp, labels = connected_components(graph, directed=True, connection="strong")
    leaky = np.zeros(ncomp, bool)
    leaky[labels[cols[labels[rows] != labels[cols]]]] = True
    closed = np.flatnonzero(~leaky)
    if closed.size > 1:
        raise SteadyStateError(f"the dynamics has {closed.size} closed classes: the "
                               "steady state is not unique")
    members = np.flatnonzero(labels == closed[0])
    p = guess_weights(W)
    return members[np.argsort(-p[members])][:count]
