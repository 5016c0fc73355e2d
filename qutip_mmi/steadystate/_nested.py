"""
Multifrontal nested dissection for sparse systems on a 2-D grid.

The rate equations live on the (J, m) grid and couple only neighbouring points,
so geometric nested dissection (recursive bisection by grid lines) gives
separators of ~sqrt(n) points; eliminating the regions bottom-up with dense
fronts (LAPACK / BLAS-3) costs O(n^1.5) flops and O(n log n) memory, against the
supernodal kernels and minimum-degree ordering of a general sparse LU.

Each node of the dissection tree eliminates its separator E (a leaf: all its
points) from a dense front on E + B, B being the not-yet-eliminated neighbours
of its region; the Schur complement on B (with the right-hand side as an extra
column) goes to the parent. Pivoting is partial inside each front only, which
is safe when every principal submatrix is regular: true for the rate equations
with the pinned state removed (a non-singular M-matrix: every state reaches
the pinned one), whose Schur complements are the generators of censored chains.
"""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

__all__ = ["grid_solve", "grid_memory"]


def _bandwidths(A, coords):
    coo = A.tocoo()
    return [max(int(np.abs(c[coo.row] - c[coo.col]).max(initial=0)), 1) for c in coords]


def _dissect(points, coords, widths, leaf):
    """Postorder list of (eliminated points, child node ids)."""
    nodes = []

    def rec(idx):
        if idx.size <= leaf:
            nodes.append((idx, ()))
            return len(nodes) - 1
        spans = [c[idx].max() - c[idx].min() for c in coords]
        # cut across the axis that is longest in units of separator width
        # (keeps regions square for the stencil: separators stay short)
        axis = int(np.argmax([s / w for s, w in zip(spans, widths)]))
        c = coords[axis][idx]
        w = widths[axis]
        cut = int(np.median(c))
        cut = min(max(cut, c.min() + 1), c.max() - w + 1) if spans[axis] > w else cut
        left, right = c < cut, c >= cut + w
        if not left.any() or not right.any():
            nodes.append((idx, ()))
            return len(nodes) - 1
        kids = (rec(idx[left]), rec(idx[right]))
        nodes.append((idx[~(left | right)], kids))
        return len(nodes) - 1

    rec(points)
    return nodes


def grid_memory(n, leaf=128):
    """Rough peak bytes of :func:`grid_solve` for n grid points (2-D, local stencil).

    The stored fronts grow like n log n (measured: 4.2e7 numbers at n = 6.4e5).
    """
    return 8.0 * n * (6.0 * np.log2(max(n / leaf, 2.0)) + 30.0)


def grid_solve(A, b, coords, leaf=128, threads=1, big_front=400, progress_bar=None):
    """Solve A x = b for a sparse A whose unknowns sit on a 2-D integer grid.

    Parameters
    ----------
    A : sparse matrix (n x n), real
        Couples only points whose coordinates differ by a few units; every
        principal submatrix must be regular (see the module docstring).
    b : ndarray (n,)
    coords : sequence of two integer arrays (n,)
        Grid coordinates of the unknowns.
    leaf : int
        Regions of at most ``leaf`` points are eliminated whole.
    threads, big_front : int
        BLAS threads for fronts with at least ``big_front`` eliminated points
        (small fronts always use one: threading them costs more than it gains).
    progress_bar : None, bool or str
        QuTiP progress bar; its 100 steps follow the estimated flops.

    Returns
    -------
    x : ndarray (n,)
    stored : int
        Numbers kept for the back substitution (the factor's size).

    Raises
    ------
    numpy.linalg.LinAlgError
        If a front is exactly singular.
    """
    A = sp.csr_matrix(A)
    A.sum_duplicates()
    coords = [np.asarray(c, dtype=np.int64) for c in coords]
    for axis in (1, 0):
        for parity in (1, 0):
            odd = coords[axis] % 2 == parity
            if odd.any() and (~odd).any() and _is_diagonal(A[odd][:, odd]):
                return _eliminate_independent(A, b, coords, axis, odd, leaf, threads,
                                              big_front, progress_bar)
    return _multifrontal(A, b, coords, leaf, threads, big_front, progress_bar)


def _is_diagonal(A):
    coo = A.tocoo()
    return bool(np.all((coo.row == coo.col) | (coo.data == 0)))


def _eliminate_independent(A, b, coords, axis, odd, leaf, threads, big_front,
                           progress_bar):
    """Eliminate a parity class of grid lines that has no internal couplings.

    When every coupling changes ``coords[axis]`` by an odd amount (the rate
    equations of models whose jumps all change m by one: no dephasing), the
    points of one parity are coupled only to the other one; their block is
    diagonal and the Schur complement on the rest (half the points, a wider but
    still local stencil) costs a sparse product.
    """
    even = ~odd
    d = A.diagonal()[odd]
    if np.any(d == 0):
        raise np.linalg.LinAlgError("zero pivot in the eliminated parity class")
    A_eo, A_oe = A[even][:, odd], A[odd][:, even]
    S = (A[even][:, even] - A_eo @ sp.diags(1.0 / d) @ A_oe).tocsr()
    rhs = b[even] - A_eo @ (b[odd] / d)
    sub = [c[even] for c in coords]
    sub[axis] = sub[axis] // 2
    y, stored = grid_solve(S, rhs, sub, leaf, threads, big_front, progress_bar)
    x = np.empty(A.shape[0])
    x[even] = y
    x[odd] = (b[odd] - A_oe @ y) / d
    return x, stored


def _multifrontal(A, b, coords, leaf, threads, big_front, progress_bar):
    from .._resources import limit_blas_threads, make_progress_bar
    n = A.shape[0]
    nodes = _dissect(np.arange(n), coords, _bandwidths(A, coords), leaf)
    # Renumber the points in elimination order: node k eliminates the
    # contiguous range starts[k]:starts[k+1], and "eliminated later" is
    # "numbered higher".
    order = np.concatenate([E for E, _ in nodes])
    starts = np.concatenate([[0], np.cumsum([E.size for E, _ in nodes])])
    A = A[order][:, order].tocsr()
    At = A.T.tocsr()                        # the columns of A, as rows
    G = (abs(A) + abs(At)).tocsr()          # symmetric adjacency
    b = b[order]
    gesv, = sla.get_lapack_funcs(("gesv",), (A.data,))
    # progress: 100 steps spread by a flop estimate (~ separator size cubed)
    work = np.cumsum(np.diff(starts).astype(float) ** 3 + 1e4)
    ticks = np.floor(100 * work / work[-1]).astype(int)
    bar = make_progress_bar(progress_bar, 100)
    pos = np.full(n, -1, np.int64)          # position in the current front
    updates, saved = {}, []
    # small fronts on one BLAS thread whatever the caller set (threading them
    # costs more than it gains); only the big ones get ``threads``
    with limit_blas_threads(1):
        for k, (_, kids) in enumerate(nodes):
            s, t = int(starts[k]), int(starts[k + 1])
            e = t - s
            # B: the neighbours of this node's region eliminated later (by ancestors)
            cand = np.concatenate([G.indices[G.indptr[s]:G.indptr[t]]]
                                  + [updates[c][0] for c in kids])
            B = np.unique(cand[cand >= t])
            f = e + B.size
            pos[s:t] = np.arange(e)
            pos[B] = np.arange(e, f)
            M = np.zeros((f, f + 1))            # front, right-hand side as last column
            # original entries: rows E (columns eliminated here or later), then
            # columns E in rows B; entries touching earlier points were used there
            local, other, val = _rows(A, s, t, pos)
            keep = other >= 0
            M[local[keep], other[keep]] += val[keep]
            local, other, val = _rows(At, s, t, pos)
            keep = other >= e
            M[other[keep], local[keep]] += val[keep]
            M[:e, f] = b[s:t]
            for kid in kids:                    # extend-add the children's updates
                Bc, U = updates.pop(kid)
                _extend_add(M, pos[Bc], U)
            with limit_blas_threads(threads) if threads > 1 and e >= big_front \
                    else contextlib.nullcontext():
                _, _, X, info = gesv(M[:e, :e], M[:e, e:], overwrite_a=True,
                                     overwrite_b=True)
                if info > 0:
                    raise np.linalg.LinAlgError(f"singular front ({e} points)")
                if B.size:
                    U = M[e:, :e] @ X
                    updates[k] = (B, np.subtract(M[e:, e:], U, out=U))
            saved.append((B, X))                # x_E = X[:, -1] - X[:, :-1] x_B
            pos[s:t] = -1
            pos[B] = -1
            for _ in range(ticks[k] - (ticks[k - 1] if k else 0)):
                bar.update()
    bar.finished()
    x = np.empty(n)
    with limit_blas_threads(1):
        for k in range(len(nodes) - 1, -1, -1):
            B, X = saved[k]
            s, t = starts[k], starts[k + 1]
            x[s:t] = X[:, -1] - X[:, :-1] @ x[B] if B.size else X[:, -1]
    out = np.empty(n)
    out[order] = x
    return out, int(sum(X.size for _, X in saved))


def _rows(mat, s, t, pos):
    """Entries of the CSR rows s:t: (row - s, front position of the column, value)."""
    lo, hi = mat.indptr[s], mat.indptr[t]
    local = np.repeat(np.arange(t - s), np.diff(mat.indptr[s:t + 1]))
    return local, pos[mat.indices[lo:hi]], mat.data[lo:hi]


def _extend_add(M, ix, U):
    """M[ix, ix] += U[:, :-1] and M[ix, -1] += U[:, -1], for increasing ix.

    A child's boundary is a few pieces of ancestor separators, each a
    contiguous range of the parent's front: adding block by block over those
    runs moves memory at copy speed, where one fancy index costs a gather and
    a scatter per element.
    """
    cuts = np.flatnonzero(np.diff(ix) != 1) + 1
    if ix.size < 400 or cuts.size > 8:  # small or scattered: one flat fancy index
        f1 = M.shape[1]
        flat = (ix[:, None] * f1 + np.append(ix, f1 - 1)).ravel()
        M.ravel()[flat] += U.ravel()
        return
    bounds = np.concatenate([[0], cuts, [ix.size]])
    runs = [(int(a), int(b), int(ix[a])) for a, b in zip(bounds[:-1], bounds[1:])]
    for a0, a1, r in runs:
        for c0, c1, c in runs:
            M[r:r + a1 - a0, c:c + c1 - c0] += U[a0:a1, c0:c1]
    M[ix, -1] += U[:, -1]
