"""
Shift-invert operators for :func:`qutip_mmi.spectrum` (private).

The Liouvillian maps Hermitian operators to Hermitian operators, so on the
full reduced space (every q) it is the complexification of a real operator R
acting on the real coordinates y of Hermitian operators: the q = 0 elements
(real), then Re and Im of every q > 0 block (rho_{-q} = conj(rho_q)). R has
the same eigenvalues as L, in conjugate pairs, and a real shift-invert
(R - sigma)^-1 costs half the complex one. ``HermitianCoords`` builds R and
maps vectors back; the solvers apply (A - sigma)^-1 by a sparse LU (in
geometric nested-dissection order on the (J, m + m', |q|) grid) or by GMRES
preconditioned with a block Gauss-Seidel sweep over q (exact sparse LU factors
of the diagonal q blocks, the steady-state engine's preconditioner; colours of
non-coupling blocks are solved together); the
"deflated" inverse works at sigma = 0 on the traceless operators, where the
steady state's eigenvalue 0 is removed exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from ._gmres import gmres
from .steadystate._common import factor_dtype
from .steadystate._hermitian import HermitianIndex

__all__ = ["HermitianCoords", "DirectSolver", "GmresSolver", "Deflated", "arnoldi",
           "operator_norm",
           "nested_dissection"]


class HermitianCoords(HermitianIndex):
    """Real coordinates y of Hermitian vectors x on a layout with every q.

    ``x = T y``; y lists the q = 0 elements, then for q = 1..N the real parts of
    block q followed by its imaginary parts (block -q holds the conjugates, in
    the same element order).
    """

    def __init__(self, layout):
        super().__init__(layout)
        q = self.q
        sign = self.sign
        rows = np.concatenate([np.arange(layout.size), np.flatnonzero(q != 0)])
        cols = np.concatenate([self.re, self.im[q != 0]])
        vals = np.concatenate([np.ones(layout.size), 1j * sign[q != 0]])
        self.T = sp.csr_matrix((vals, (rows, cols)), shape=(layout.size, self.size))

    def realify(self, Lt):
        """R from the rows q >= 0 of L (``Lt``, all columns)."""
        LT = (Lt @ self.T).tocsr()
        q = self.q[self.top:]
        re_rows = LT.real.tocsr()
        im_rows = LT[np.flatnonzero(q > 0)].imag.tocsr()
        order = np.empty(self.size, np.int64)
        order[self.re[self.top:]] = np.arange(LT.shape[0])
        order[self.im[self.top:][q > 0]] = LT.shape[0] + np.arange(int((q > 0).sum()))
        R = sp.vstack([re_rows, im_rows], format="csr")[order]
        R.eliminate_zeros()
        return R

    def grid(self):
        """Grid coordinates (J index, m + m', |q|) of every y unknown."""
        lay = self.layout
        sel = np.arange(self.top, lay.size)
        vals = layout_grid(lay)[sel]
        vals[:, 2] = np.abs(vals[:, 2])
        out = np.zeros((self.size, 3), np.int64)
        out[self.re[sel]] = vals
        pos = self.q[sel] > 0
        out[self.im[sel][pos]] = vals[pos]
        return out

    def to_full(self, w):
        """x = T Re(w) + i T Im(w): the complex-linear extension of y -> x."""
        w = np.asarray(w)
        x = self.T @ w.real.astype(float)
        if np.iscomplexobj(w):
            x = x + 1j * (self.T @ w.imag.astype(float))
        return x



def layout_grid(layout):
    """Grid coordinates (J index, m + m', q) of the elements of a layout."""
    return np.stack([layout.j_index, np.rint(layout.m + layout.mp).astype(np.int64),
                     np.rint(layout.m - layout.mp).astype(np.int64)], axis=1)


# ------------------------------------------------------------------ solvers
def operator_norm(A) -> float:
    """max_i sum_j |A_ij| (1 for the zero operator): the scale of residuals."""
    return float(abs(A).sum(axis=1).max()) or 1.0


def pin(A, k):
    """A copy of A with row k replaced by e_k^T."""
    A = A.tocsr(copy=True)
    A.data[A.indptr[k]:A.indptr[k + 1]] = 0.0
    A = A + sp.csr_matrix(([1.0], ([k], [k])), shape=A.shape)
    A.eliminate_zeros()
    return A.tocsr()


def _splu(A):
    return spl.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")


def nested_dissection(coords, A, leaf=32):
    """Fill-reducing order of A's unknowns by geometric nested dissection.

    ``coords`` (n x d integers) places every unknown on a grid, here (J, m + m',
    |q|); A couples unknowns at most ``w`` apart along each axis (read from its
    entries), so a slab of width ``w`` separates the two halves of a cut. Halves
    first, separators last, recursively across the axis with the most slabs.
    """
    A = A.tocoo()
    w = np.abs(coords[A.row] - coords[A.col]).max(axis=0) if A.nnz else \
        np.zeros(coords.shape[1], np.int64)
    out = []

    def cut(idx):
        c = coords[idx]
        extent = (c.max(axis=0) - c.min(axis=0)) / np.maximum(w, 1)
        for ax in np.argsort(-extent):
            med = np.rint(np.median(c[:, ax]))
            left = c[:, ax] < med
            right = c[:, ax] >= med + w[ax]
            if left.any() and right.any():
                return idx[left], idx[right], idx[~(left | right)]
        return None

    def rec(idx):
        if idx.size <= leaf:
            out.append(idx)
            return
        parts = cut(idx)
        if parts is None:
            out.append(idx)
            return
        rec(parts[0])
        rec(parts[1])
        out.append(parts[2])

    rec(np.arange(coords.shape[0]))
    return np.concatenate(out)


class DirectSolver:
    """x = A^-1 b by one sparse LU (SuperLU), in nested-dissection order when
    grid coordinates of the unknowns are given."""

    method = "direct LU"

    def __init__(self, A, coords=None):
        self.dtype = A.dtype
        self.perm = None
        if coords is not None and A.shape[0] > 2000:
            self.perm = nested_dissection(coords, A)
            A = A.tocsr()[self.perm][:, self.perm]
            self.lu = spl.splu(A.tocsc(), permc_spec="NATURAL",
                               options={"SymmetricMode": True})
        else:
            self.lu = _splu(A)
        self.complex = factor_dtype(self.lu).kind == "c"
        self.solves = 0
        self.iterations = None

    def _solve(self, b):
        if self.perm is None:
            return self.lu.solve(b)
        x = np.empty_like(b)
        x[self.perm] = self.lu.solve(b[self.perm])
        return x

    def __call__(self, b):
        self.solves += 1
        if np.iscomplexobj(b) and not self.complex:
            return self._solve(b.real.copy()) + 1j * self._solve(b.imag.copy())
        return self._solve(b.astype(self.dtype, copy=False))


class _BlockGaussSeidel:
    """Forward block Gauss-Seidel on A with diagonal-block solvers ``solves``."""

    def __init__(self, A, starts, solves):
        self.A = A
        self.blocks = []
        for a, b, solve in zip(starts[:-1], starts[1:], solves):
            low = A[int(a):int(b)][:, :int(a)].tocsr() if a > 0 else None
            if low is not None and low.nnz == 0:
                low = None
            self.blocks.append((slice(int(a), int(b)), low, solve))

    def apply(self, r):
        r = np.asarray(r).ravel()
        y = np.empty_like(r)
        for sl, low, solve in self.blocks:
            rhs = r[sl] if low is None else r[sl] - low @ y[:sl.start]
            y[sl] = solve(rhs)
        return y


class _MulticolorGaussSeidel:
    """Block Gauss-Seidel over |q| on the real y system, blocks taken by colour.

    A couples y blocks at most ``w`` apart (w = 1 when only h Jx changes q), so
    the blocks q = c, c + w + 1, ... (one colour) do not couple to each other:
    each colour is one sparse LU of the block diagonal of its complex q blocks
    and one product with its rows of A. For a block-tridiagonal A (w = 1) this
    red-black sweep converges like the natural-order one, with two LU solves
    per sweep instead of N + 1.
    """

    def __init__(self, A, coords, diag_blocks):
        starts = coords.block_starts
        sizes = coords.block_sizes
        nb = len(sizes)
        block_of = np.repeat(np.arange(nb), np.diff(starts))
        coo = A.tocoo()
        w = int(np.abs(block_of[coo.row] - block_of[coo.col]).max()) if A.nnz else 0
        del coo
        self.colours = []
        for c in range(min(w + 1, nb)):
            qs = list(range(c, nb, w + 1))
            C = sp.block_diag([diag_blocks(q).astype(complex) for q in qs], format="csr")
            re_idx = np.concatenate([starts[q] + np.arange(sizes[q]) for q in qs])
            im_idx = np.concatenate([np.full(sizes[q], -1) if q == 0 else
                                     starts[q] + sizes[q] + np.arange(sizes[q])
                                     for q in qs])
            rows = np.concatenate([np.arange(starts[q], starts[q + 1]) for q in qs])
            has_im = im_idx >= 0
            self.colours.append((_factor(C), re_idx, im_idx[has_im], has_im, rows,
                                 A[rows].tocsr()))
        self.n = A.shape[0]

    def apply(self, r):
        r = np.asarray(r, dtype=float).ravel()
        y = np.zeros(self.n)
        tmp = np.empty(self.n)
        for lu, re_idx, im_idx, has_im, rows, A_rows in self.colours:
            tmp[rows] = r[rows] - A_rows @ y   # this colour's own y is still 0
            z = tmp[re_idx].astype(complex)
            z[has_im] += 1j * tmp[im_idx]
            sol = lu.solve(z)
            y[re_idx] = sol.real
            y[im_idx] = sol.imag[has_im]
        return y


def _plain_solve(lu, real_out):
    complex_factor = factor_dtype(lu).kind == "c"

    def solve(rhs):
        if real_out:
            if complex_factor:
                return lu.solve(rhs.astype(complex)).real
            return lu.solve(rhs.astype(float))
        return lu.solve(rhs.astype(complex))
    return solve


def _factor(B):
    try:
        return _splu(B)
    except RuntimeError:
        # a singular diagonal block: a slightly shifted factor still preconditions
        shift = 1e-8 * max(float(abs(B).sum(axis=1).max()), 1.0)
        return _splu(B - shift * sp.identity(B.shape[0], format="csr"))


class GmresSolver:
    """x = A^-1 b by GMRES, preconditioned by block Gauss-Seidel over q.

    ``A`` is the system in y coordinates (``coords`` given, real) or on the
    complex layout with every q (``coords`` None); ``diag_blocks(q)`` returns
    the complex diagonal block of q of the (shifted, pinned) system.
    """

    method = "GMRES + block Gauss-Seidel"

    def __init__(self, A, layout, diag_blocks, coords=None, tol=1e-12, restart=60,
                 maxiter=20):
        self.A = A
        self.tol, self.restart, self.maxiter = tol, restart, maxiter
        self.solves = 0
        self.iterations = 0
        if coords is not None:
            self.gs = _MulticolorGaussSeidel(A, coords, diag_blocks)
        else:
            solves = [_plain_solve(_factor(diag_blocks(int(q))), False) for q in layout.qs]
            self.gs = _BlockGaussSeidel(A, layout.q_starts, solves)
        self.norm = float(abs(A).sum(axis=1).max())
        self.worst = 0.0

    def __call__(self, b):
        self.solves += 1
        if not np.abs(b).max() > 0:
            return np.zeros_like(b)
        # aim two decades below the bound: ARPACK sees the solve's error
        x, info = gmres(self.A, b, self.gs.apply, tol=self.tol, aim=self.tol * 1e-2,
                        restart=self.restart, maxiter=self.maxiter, norm_a=self.norm)
        self.iterations += info.iterations
        self.worst = max(self.worst, info.residual)
        return x


class Deflated:
    """The inverse of A on its range, at sigma = 0, with the steady state removed.

    ``A`` has the single null vector ``rho`` (normalized, trace ``t . rho`` = 1)
    and the left null vector ``t`` (the trace: ones on the diagonal elements).
    ``pinned_solve`` solves the system whose row ``k0`` is replaced by e_k0^T. For
    b, the projected b' = b - rho (t . b) is in the range of A; the pinned solve
    gives one preimage (its k0 element 0), projected again onto the traceless
    operators. Every eigenvector of A with eigenvalue lambda != 0 is traceless
    and is mapped to itself / lambda; rho is mapped to 0.
    """

    def __init__(self, pinned_solve, k0, rho, diag):
        self.solve = pinned_solve
        self.k0 = k0
        self.rho = rho
        self.diag = diag

    def __call__(self, b):
        b = b - self.rho * b[self.diag].sum()
        b[self.k0] = 0.0
        x = self.solve(b)
        return x - self.rho * x[self.diag].sum()


def arnoldi(op, n, dtype, nev, ncv=None, v0=None, tol=0.0, maxiter=None, attempts=3):
    """Largest-magnitude eigenpairs (mu, vectors) of the linear map ``op`` (ARPACK).

    Without convergence, up to ``attempts`` tries with a growing Krylov space;
    then ``ArpackNoConvergence`` propagates.
    """
    OP = spl.LinearOperator((n, n), matvec=op, dtype=dtype)
    if ncv is None:
        ncv = min(n, max(2 * nev + 1, 20))
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                # ARPACK's complex-mode cast warnings are not the caller's concern
                warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
                return spl.eigs(OP, k=nev, which="LM", ncv=ncv, v0=v0, tol=tol,
                                maxiter=maxiter or max(300, 10 * n // ncv))
        except spl.ArpackNoConvergence:
            # clustered |lambda - sigma|: a larger Krylov space separates them
            if ncv >= n or attempt == attempts - 1:
                raise
            ncv = min(n, 2 * ncv + 10)
