"""
The block engine's preconditioner: block Gauss-Seidel over q with LU factors.

The q-conserving part of the reduced Liouvillian is block diagonal in q; the
q-changing terms (h Jx for LMG) couple neighbouring blocks. One forward sweep
over q = 0..Q solves each diagonal block with its sparse LU factors (q = 0 real
and pinned, q > 0 complex, large q optionally in single precision) after
subtracting the coupling to the blocks already updated.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from ._common import factor_dtype
from ._pinning import pin_system

__all__ = ["factor_block", "GaussSeidel"]


def factor_block(block, q, pin, single=False):
    """(SuperLU factors, their dtype) of the diagonal block of q (q = 0: pinned
    at ``pin``, real).

    ``single``: factorize in complex64 (a preconditioner's precision).
    """
    if single and q > 0:
        block = block.astype(np.complex64)
    if q == 0:
        block = pin_system(block, pin)
        if np.abs(block.data.imag).max(initial=0) == 0:
            block = block.real
    try:
        lu = spl.splu(block.tocsc(), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError:
        # A singular diagonal block (its own dynamics has several stationary
        # states): a slightly shifted factor is still a good preconditioner.
        shift = 1e-8 * max(abs(block).sum(axis=1).max(), 1.0)
        block = block - shift * sp.identity(block.shape[0], format="csr")
        lu = spl.splu(block.tocsc(), permc_spec="MMD_AT_PLUS_A")
    return lu, factor_dtype(lu)


class GaussSeidel:
    """Forward block Gauss-Seidel over q = 0..Q on the reduced real system.

    The diagonal blocks are solved with the exact LU factors of the complex q
    blocks (q = 0 real, with the pin; ``factors[q]`` as from :func:`factor_block`);
    the coupling to already-updated lower q blocks is one sparse product per
    block, its rows sliced once here.
    """

    def __init__(self, red, A, factors):
        self.red = red
        self.factors = factors
        starts = red.block_starts
        nblocks = len(red.block_sizes)
        block_of = np.repeat(np.arange(nblocks, dtype=np.int32), np.diff(starts))
        # the strictly lower block part of A, straight from its CSR arrays (a COO
        # copy of A costs more memory than A itself at large N)
        low = block_of[A.indices] < np.repeat(block_of, np.diff(A.indptr))
        index_type = np.int32 if A.nnz < 2 ** 31 - 1 else np.int64
        indptr = np.concatenate([np.zeros(1, index_type),
                                 np.cumsum(low, dtype=index_type)])[A.indptr]
        data, indices = A.data[low], A.indices[low]
        del low
        self.blocks = []
        for q in range(nblocks):
            a, b = int(starts[q]), int(starts[q + 1])
            lo, hi = indptr[a], indptr[b]
            part = None
            if hi > lo:  # rows a:b of the lower part (views of its arrays)
                part = sp.csr_matrix((data[lo:hi], indices[lo:hi], indptr[a:b + 1] - lo),
                                     shape=(b - a, A.shape[1]))
            self.blocks.append((q, slice(a, b), part))

    def apply(self, r):
        r = np.asarray(r, dtype=float).ravel()
        y = np.empty_like(r)
        for q, sl, low in self.blocks:
            rhs = r[sl] if low is None else r[sl] - low @ y
            lu, dtype = self.factors[q]
            if q == 0:
                y[sl] = lu.solve(rhs.astype(dtype, copy=False)).real
            else:
                n = self.red.block_sizes[q]
                if dtype.kind == "c":
                    z = lu.solve((rhs[:n] + 1j * rhs[n:]).astype(dtype, copy=False))
                    y[sl.start:sl.start + n] = z.real
                    y[sl.start + n:sl.stop] = z.imag
                else:  # a real block (real model): Re and Im separately
                    y[sl.start:sl.start + n] = lu.solve(rhs[:n].astype(dtype, copy=False))
                    y[sl.start + n:sl.stop] = lu.solve(rhs[n:].astype(dtype, copy=False))
        return y
