"""
Real coordinates of Hermitian vectors on the reduced block space.

A Hermitian state is fixed by its q >= 0 blocks (rho_{-q} = conj(rho_q)); the
real unknowns y are the q = 0 populations, then Re and Im of each q > 0 block.
``HermitianIndex`` says where each element sits among them (shared by the block
engine, the evolution and the spectrum); ``HermitianReduction`` writes the
equations of q >= 0 in these unknowns, assembled one q block at a time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._common import norm_inf, relative_residual
from ._pinning import pin_row_in_place, pin_system
from .liouvillian import assemble

__all__ = ["HermitianIndex", "HermitianReduction"]


class HermitianIndex:
    """Where each element of a Hermitian vector x (every q of ``layout``) sits
    among the real unknowns y: the q = 0 populations, then Re and Im of each
    q > 0 block (block -q holds the conjugates, element (m, m') of one being
    (m', m) of the other, in the same order). Shared by the block engine and
    the spectrum.
    """

    def __init__(self, layout):
        qs = layout.qs
        if qs[0] != -qs[-1] or len(qs) != 2 * qs[-1] + 1:
            raise ValueError("the Hermitian reduction needs every q from -Q to Q")
        n_q = np.diff(layout.q_starts)                       # per position in qs
        zero = int(np.flatnonzero(qs == 0)[0])
        width = np.where(qs[zero:] == 0, 1, 2) * n_q[zero:]  # y entries of q = 0..N
        self.block_starts = np.concatenate([[0], np.cumsum(width)])
        self.block_sizes = n_q[zero:]
        self.size = int(self.block_starts[-1])
        q = qs[layout.q_index]
        aq = np.abs(q)
        pos = np.arange(layout.size) - layout.q_starts[layout.q_index]
        start = self.block_starts[aq]
        index = np.int32 if self.size < 2 ** 31 else np.int64  # (memory at large N)
        self.re = (start + pos).astype(index)
        self.im = np.where(q != 0, start + self.block_sizes[aq] + pos, -1).astype(index)
        del start, pos
        self.sign = np.where(q < 0, -1, 1).astype(np.int8)
        self.q = q.astype(np.int32)
        self.layout = layout
        self.top = int(layout.q_starts[zero])                # first row with q >= 0

    def from_full(self, x):
        """y of a Hermitian vector x (its q >= 0 elements)."""
        y = np.empty(self.size)
        top = slice(self.top, None)
        y[self.re[top]] = x[top].real
        sel = self.im[top] >= 0
        y[self.im[top][sel]] = x[top][sel].imag
        return y


class HermitianReduction(HermitianIndex):
    """The equations for q >= 0 in real unknowns, using rho_{-q} = conj(rho_q).

    A Hermitian steady state is fixed by its q >= 0 blocks, and the equations of
    the q < 0 blocks are the conjugates of those of q > 0. The reduced unknowns y
    are the (real) q = 0 populations, then Re and Im of each q > 0 block. Block -q
    lists its elements in the same order as block q (element (m, m') of one is
    (m', m) of the other), so x = C y is a relabelling. Against the complex
    system on all q this halves the Krylov vectors and the triangular solves.
    """

    def __init__(self, layout, model, on_block=None):
        super().__init__(layout)
        # a layout without the top q blocks: the equations of a state that
        # vanishes there (couplings to those blocks left out)
        self.truncated = int(layout.qs[-1]) < layout.N
        self.R = self.realified(model, on_block)
        self._pin = None
        self.norm = norm_inf(self.R)  # ||R||_inf, unpinned

    def realified(self, model, on_block=None):
        """R of ``model`` on this layout, assembled one q block of rows at a time.

        ``on_block(q, block)`` receives each complex diagonal block of L (e.g.
        to factorize it) before the block's rows are dropped.
        """
        layout = self.layout
        parts = []
        for q in range(0, int(layout.qs[-1]) + 1):
            # the rows of block q (all columns), then its realified rows
            sl = layout.q_slice(q)
            rows = assemble(model, layout, rows=sl, drop_outside=self.truncated)
            if on_block is not None:
                on_block(q, rows[:, sl])
            parts.append(self._realify(rows, q))
            del rows
        R = sp.vstack(parts, format="csr")
        del parts
        # canonical CSR (no duplicate entries): scipy compacts a non-canonical
        # matrix in place on some operations (abs), which would shift the row
        # that pinned() saved and later restores
        R.sum_duplicates()
        return R

    def _realify(self, rows, q):
        """The rows of R (Re rows, then Im rows if q > 0) from the rows of block q of L.

        Entry (r, c) = u + iv of L acts on x_c = y_a + i s y_b:
        Re row of r gets u at a and -s v at b, Im row of r gets v at a and s u at b.
        Built row by row in CSR (no sorting).
        """
        rows = rows.tocsr()
        c = rows.indices
        u = rows.data.real
        v = rows.data.imag if np.iscomplexobj(rows.data) else np.zeros_like(u)
        a, b, s = self.re[c], self.im[c], self.sign[c]
        parts = []
        for first, second in (((u, a), (-s * v, b)), ((v, a), (s * u, b)))[:1 + (q > 0)]:
            val = np.stack([first[0], second[0]], axis=1)
            col = np.stack([first[1], second[1]], axis=1)
            keep = (val != 0) & (col >= 0)
            count = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
            parts.append(sp.csr_matrix((val[keep], col[keep], count[rows.indptr]),
                                       shape=(rows.shape[0], self.size)))
        return sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def _unpin(self):
        if self._pin is not None:
            old, saved = self._pin
            R = self.R
            R.data[R.indptr[old]:R.indptr[old + 1]] = saved
            self._pin = None

    def zero_block(self):
        """The q = 0 block of L (real: populations to populations)."""
        self._unpin()
        n = int(self.block_sizes[0])
        return self.R[:n][:, :n]

    def product(self, y):
        """R y (the equations of q >= 0, unpinned)."""
        self._unpin()
        return self.R @ y

    def residual(self, y):
        """||L x|| / (||L|| ||x||) over the rows q >= 0 (the others are their
        conjugates), measured on R y, y the real unknowns of the Hermitian x."""
        self._unpin()
        return relative_residual(self.R, y, self.norm)

    def pinned(self, k):
        """R with row k replaced by e_k^T, in place (saves a copy of R).

        The row of an earlier pin is restored first.
        """
        self._unpin()
        R = self.R
        saved = pin_row_in_place(R, k)
        if saved is None:  # no stored diagonal (a population without decay)
            return pin_system(R, k)
        self._pin = (k, saved)
        return R

    def to_full(self, y):
        x = y[self.re].astype(complex)
        sel = self.im >= 0
        x[sel] += 1j * self.sign[sel] * y[self.im[sel]]
        return x
