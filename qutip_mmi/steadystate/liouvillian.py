"""
The reduced block Liouvillian (Appendix A, eqs. 21-25) in float64.

Unknowns are the elements rho_{J,m,m'} of all J blocks, grouped by
q = m - m' (q-major, then J descending, then m descending). Collective terms act
inside one J block; local channels (any ``rate sum_i D[A_i]``, :mod:`._local`:
Clebsch-Gordan algebra generalizing the coefficients of Shammah et al., PRA 98,
063815 (2018), evaluated in float64) couple J to J and J+-1. Only the
Hamiltonian, collective jumps that change m by different amounts and local
channels mixing s_+, s_-, s_z couple different q, so restricting the assembly to
q = 0 gives the rate equations (29)-(30) whenever the model conserves q.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..dicke import j_values
from ..state import PIState
from . import _local

__all__ = ["QLayout", "assemble", "state_from_vector", "vector_from_state"]


class QLayout:
    """Positions of the elements rho_{J,m,m'} with q in ``qs``, grouped by q.

    Parameters
    ----------
    N : int
        Number of units.
    qs : sequence of int
        The q values kept (``range(-N, N+1)`` for everything, ``[0]`` for the
        diagonal only).
    """

    def __init__(self, N, qs):
        self.N = N
        self.js = j_values(N)
        self.qs = np.asarray(sorted(set(int(q) for q in qs)), dtype=np.int64)
        nj = len(self.js)
        counts = np.maximum(2 * self.js[None, :] + 1 - np.abs(self.qs)[:, None], 0)
        counts = counts.round().astype(np.int64)  # (nq, nJ)
        self.counts = counts
        flat = counts.ravel()
        self.offsets = np.concatenate([[0], np.cumsum(flat)])[:-1].reshape(counts.shape)
        self.size = int(flat.sum())
        self.q_starts = np.concatenate([[0], np.cumsum(counts.sum(axis=1))])
        # labels of every element
        qi = np.repeat(np.repeat(np.arange(len(self.qs)), nj), flat)
        ji = np.repeat(np.tile(np.arange(nj), len(self.qs)), flat)
        pos = np.arange(self.size) - self.offsets[qi, ji]
        # int32 labels: at N = 512 every byte per element costs 45 MB
        self.q_index, self.j_index = qi.astype(np.int32), ji.astype(np.int32)
        q = self.qs[qi]
        j = self.js[ji]
        m_hi = np.minimum(j, j + q)
        self.j = j
        self.m = m_hi - pos
        self.mp = self.m - q
        self._qpos = {int(q): k for k, q in enumerate(self.qs)}

    def index(self, j, m, mp):
        """Positions of labels (arrays); -1 where the label is not kept/valid."""
        j = np.asarray(j, dtype=float)
        m = np.asarray(m, dtype=float)
        mp = np.asarray(mp, dtype=float)
        q = np.rint(m - mp).astype(np.int64)
        ji = np.rint(self.N / 2 - j).astype(np.int64)
        valid = ((ji >= 0) & (ji < len(self.js)) & (np.abs(m) <= j + 1e-9)
                 & (np.abs(mp) <= j + 1e-9) & (q >= self.qs[0]) & (q <= self.qs[-1]))
        qi = np.searchsorted(self.qs, q)
        qi = np.clip(qi, 0, len(self.qs) - 1)
        valid &= self.qs[qi] == q
        jic = np.clip(ji, 0, len(self.js) - 1)
        jj = self.js[jic]
        m_hi = np.minimum(jj, jj + q)
        idx = self.offsets[qi, jic] + np.rint(m_hi - m).astype(np.int64)
        return np.where(valid, idx, -1)

    def j_groups(self):
        """Positions of the elements of each J block (order of ``self.js``)."""
        order = np.argsort(self.j_index, kind="stable")
        bounds = np.searchsorted(self.j_index[order], np.arange(len(self.js) + 1))
        return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def positions(self, out):
        """The element positions selected by ``out`` (a slice or an index array)."""
        if isinstance(out, slice):
            return np.arange(*out.indices(self.size))
        return np.asarray(out, dtype=np.int64)

    def q_slice(self, q):
        k = self._qpos[int(q)]
        return slice(int(self.q_starts[k]), int(self.q_starts[k + 1]))


# ------------------------------------------------------------ collective part
# A collective operator is kept as {k: f} with A|J,m> = sum_k f(J, m) |J, m+k>:
# every matrix element of every J block is then evaluated in one vectorized call.
def _in_range(j, m):
    return np.abs(m) <= j + 1e-9


def _op_plus():
    return {1: lambda j, m: np.where(_in_range(j, m),
                                     np.sqrt(np.maximum(j * (j + 1) - m * (m + 1), 0)), 0)}


def _op_minus():
    return {-1: lambda j, m: np.where(_in_range(j, m),
                                      np.sqrt(np.maximum(j * (j + 1) - m * (m - 1), 0)), 0)}


def _op_z():
    return {0: lambda j, m: np.where(_in_range(j, m), m, 0.0)}


def _op_identity():
    return {0: lambda j, m: np.where(_in_range(j, m), 1.0, 0.0)}


def _op_scale(op, c):
    return {k: (lambda f: lambda j, m: c * f(j, m))(f) for k, f in op.items()}


def _op_add(*ops):
    out = {}
    for op in ops:
        for k, f in op.items():
            if k in out:
                out[k] = (lambda f1, f2: lambda j, m: f1(j, m) + f2(j, m))(out[k], f)
            else:
                out[k] = f
    return out


def _op_mul(a, b):
    """a @ b: (a b)|m> = sum g_k2(m) a|m+k2>."""
    out = {}
    for k2, g in b.items():
        for k1, f in a.items():
            term = {k1 + k2: (lambda f, g, k2: lambda j, m: f(j, m + k2) * g(j, m))(f, g, k2)}
            out = _op_add(out, term)
    return out


def _cartesian(lx, ly, lz):
    """lx Jx + ly Jy + lz Jz with Jx = (J+ + J-)/2, Jy = (J+ - J-)/(2i)."""
    plus = 0.5 * lx - 0.5j * ly
    minus = 0.5 * lx + 0.5j * ly
    parts = []
    if plus != 0:
        parts.append(_op_scale(_op_plus(), plus))
    if minus != 0:
        parts.append(_op_scale(_op_minus(), minus))
    if lz != 0:
        parts.append(_op_scale(_op_z(), lz))
    return _op_add(*parts)


_AXIS = {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1)}


def _hamiltonian_op(model):
    terms = []
    # the user's monomials plus the corrections of local channels with an
    # identity part (see :mod:`._local`)
    for key, c in model.effective_hamiltonian.items():
        op = _cartesian(*_AXIS[key[0]])
        for a in key[1:]:
            op = _op_mul(op, _cartesian(*_AXIS[a]))
        terms.append(_op_scale(op, c * float(model.N) ** (1 - len(key))))
    return _op_add(*terms)


def _superop_terms(model, populations_only=False):
    """Terms (c, A, B) of the collective generator, rho -> c A rho B.

    ``populations_only``: only the q = 0 -> q = 0 part is wanted and the model
    conserves q, so H is diagonal in every J block and -i[H, rho] has no
    diagonal element: the Hamiltonian is skipped.
    """
    eye = _op_identity()
    terms = []
    H = {} if populations_only else _hamiltonian_op(model)
    if H:
        terms += [(-1j, H, eye), (1j, eye, H)]
    for jump in model.collective:
        rate = jump.rate / model.N
        l = jump.cartesian
        L = _cartesian(*l)
        Ld = _cartesian(*np.conj(l))
        LdL = _op_mul(Ld, L)
        terms += [(rate, L, Ld), (-0.5 * rate, LdL, eye), (-0.5 * rate, eye, LdL)]
    # local channels mixing s_z with s_+-: the J+- part of sum_i A_i^dag A_i
    _, _, kp = _local.anticommutator_terms(_local.channel_matrix(model), model.N)
    if kp != 0:
        K = _op_add(_op_scale(_op_plus(), kp), _op_scale(_op_minus(), np.conj(kp)))
        terms += [(-0.5, K, eye), (-0.5, eye, K)]
    return terms


def _collective_entries(model, layout, out, drop_outside=False):
    """(A rho B)[m, m'] = sum A[m, m-k1] rho[m-k1, m'+k2] B[m'+k2, m'], vectorized.

    Rows are the elements ``out`` (a slice of the layout); entries fed by
    elements outside the layout raise, or are left out if ``drop_outside``."""
    rows, cols, vals = [], [], []
    j, m, mp = layout.j[out], layout.m[out], layout.mp[out]
    src = layout.positions(out)
    diagonal = len(layout.qs) == 1 and layout.qs[0] == 0
    for c, A, B in _superop_terms(model, diagonal and model.conserves_excitations()):
        for k1, f in A.items():
            a = f(j, m - k1)                    # A[m, m-k1] = f(m-k1)
            if not np.any(a != 0):
                continue
            for k2, g in B.items():
                val = c * a * g(j, mp)           # B[m'+k2, m'] = g(m')
                ok = val != 0
                if not ok.any():
                    continue
                tgt = _local.inside_layout(ok, layout.index(j[ok], m[ok] - k1, mp[ok] + k2),
                                           drop_outside)
                rows.append(src[ok])
                cols.append(tgt)
                vals.append(val[ok])
    return rows, cols, vals


def assemble(model, layout=None, rows=None, drop_outside=False) -> sp.csr_matrix:
    """The reduced Liouvillian of ``model`` on ``layout`` (CSR).

    The dtype is float64 when every element is real (e.g. the rate equations),
    complex128 otherwise.

    ``rows`` (a slice of element positions covering whole q blocks, or an
    increasing array of positions; default all) keeps only those rows of L:
    the result then has shape (len(rows), layout.size), row 0 being the first
    kept element.

    Raises ``ValueError`` if the layout omits q values that the model couples to
    (e.g. a diagonal-only layout for a model without U(1) symmetry), unless
    ``drop_outside``: then the couplings to elements outside the layout are
    left out (the equations of a state that vanishes there: a truncation).
    """
    if layout is None:
        layout = QLayout(model.N, range(-model.N, model.N + 1))
    if rows is None or isinstance(rows, slice):
        out = slice(*(rows or slice(None)).indices(layout.size)[:2])
        kept, first = out.stop - out.start, out.start
    else:
        out = np.asarray(rows, dtype=np.int64)
        kept, first = out.size, None
    try:
        r1, c1, v1 = _collective_entries(model, layout, out, drop_outside)
        r2, c2, v2 = _local.jump_entries(model, layout, out, drop_outside=drop_outside)
    except _local.OutOfLayout:
        raise ValueError("the model couples q values outside the layout "
                         f"(kept q: {layout.qs.min()}..{layout.qs.max()})") from None
    row_index = np.concatenate(r1 + r2)
    row_index = row_index - first if first is not None else np.searchsorted(out, row_index)
    col_index = np.concatenate(c1 + c2)
    vals = np.concatenate(v1 + v2)
    if np.iscomplexobj(vals) and not vals.imag.any():
        vals = np.ascontiguousarray(vals.real)
    L = sp.csr_matrix((vals, (row_index, col_index)),
                      shape=(kept, layout.size))
    L.sum_duplicates()
    L.eliminate_zeros()
    return L


def state_from_vector(N, layout, x):
    """PIState from a solution vector on ``layout`` (normalized by its trace)."""
    x = x / x[layout.m == layout.mp].sum().real
    r = np.rint(layout.j - layout.m).astype(np.int64)
    groups = layout.j_groups()
    if len(layout.qs) == 1 and layout.qs[0] == 0:  # diagonal: store p_{J,m} only
        blocks = [np.zeros(int(round(2 * j)) + 1) for j in layout.js]
        for blk, sel in zip(blocks, groups):
            blk[r[sel]] = x[sel].real
        return PIState(N, blocks)
    c = np.rint(layout.j - layout.mp).astype(np.int64)
    blocks = [np.zeros((int(round(2 * j)) + 1,) * 2, complex) for j in layout.js]
    for blk, sel in zip(blocks, groups):
        blk[r[sel], c[sel]] = x[sel]
    return PIState(N, blocks)



def vector_from_state(layout, state: PIState):
    """The reduced vector of ``state`` on ``layout`` (elements outside it dropped)."""
    out = np.zeros(layout.size, complex)
    r = np.rint(layout.j - layout.m).astype(np.int64)
    c = np.rint(layout.j - layout.mp).astype(np.int64)
    for blk, sel in zip(state.blocks, layout.j_groups()):
        if blk.ndim == 1:  # a diagonal block stored as its diagonal
            out[sel] = np.where(r[sel] == c[sel], blk[r[sel]], 0.0)
        else:
            out[sel] = blk[r[sel], c[sel]]
    return out
