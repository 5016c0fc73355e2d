"""
Truncation in q for the block engine: which coherence orders to solve.

The steady state's blocks of order q = m - m' weigh less and less as q grows
(at N = 320, LMG h = 0.5: below 1e-20 of the largest element from q ~ 37-55 on),
so :class:`.blocks.BlockSolver` solves the blocks q <= q_max only, with the
state zero above. These helpers pick q_max, judge a truncated solution by the
weight of its top blocks, and give the residual on every q. The reduced real
unknowns of a smaller q_max are a prefix of those of a larger one
(``HermitianIndex``), so solutions move between cuts by cutting or padding.
"""

from __future__ import annotations

import numpy as np

from ._common import norm_inf
from .liouvillian import QLayout, assemble

__all__ = ["TAIL_DECADES", "Q_REACH", "first_cut", "elements_above", "fitted",
           "block_weights", "tail_weight", "grown_cut", "needed_cut", "full_residual"]

#: A truncated solve is accepted when its top two q blocks weigh at most
#: 10^-TAIL_DECADES of its largest element: the blocks left out then change the
#: kept elements by about as little, 100x below double precision's resolution
#: (and the block engine's GMRES aim). The weights fall by 0.5-1 decades per q there
#: (N = 120-320), so each further 2 decades cost 2-4 blocks.
TAIL_DECADES = 18.0

#: The furthest in q that any term reaches: Hamiltonian monomials of degree
#: <= 4, jumps (L rho L^dag) and local channels 2.
Q_REACH = 4


def first_cut(N) -> int:
    """The first q_max tried without an earlier solve (the whole space for
    small N): the 1e-20 point was at q ~ 28-39 for N = 120, ~46 at N = 240 and
    37-55 at N = 320 over the LMG's phases; broader steady states grow it."""
    return min(N, int(4.0 * np.sqrt(N)) + 8)


def fitted(y, size):
    """y cut or padded with zeros to ``size`` (the reduced unknowns of a smaller
    q_max are a prefix of those of a larger one)."""
    if y.size >= size:
        return y[:size].copy()
    return np.concatenate([y, np.zeros(size - y.size)])


def block_weights(red, y):
    """log10 of each q block's largest |y| relative to the largest |y|."""
    peak = np.abs(y).max()
    w = np.array([np.abs(y[a:b]).max() for a, b in
                  zip(red.block_starts[:-1], red.block_starts[1:])]) / peak
    return np.log10(np.maximum(w, 1e-300))


def tail_weight(red, y):
    """Weight of the top two q blocks relative to the largest element (the terms
    reach q + 2 from q: both feed the blocks left out)."""
    return 10.0 ** block_weights(red, y)[-2:].max()


def grown_cut(red, y, N):
    """A larger q_max for a solution whose top blocks still weigh too much: where
    the straight line through log10 of the block weights of its upper half
    crosses -TAIL_DECADES, at least 1.25 and at most 2 times the current q_max.
    (The top two blocks, pulled down by the cut, are left out of the fit; the
    weight of q is the largest from q on, so that blocks zero by a symmetry,
    e.g. every odd q, do not bend the line.)"""
    Q = len(red.block_sizes) - 1
    w = block_weights(red, y)
    above = np.maximum.accumulate(w[::-1])[::-1]  # largest weight from q on
    q = np.arange(Q // 2, Q - 1)
    target = 2 * Q
    if q.size >= 3:
        slope, offset = np.polyfit(q, above[q], 1)
        if slope < 0:
            target = (-TAIL_DECADES - offset) / slope + 2
    return int(min(N, max(np.ceil(1.25 * Q), min(np.ceil(target), 2 * Q))))


def needed_cut(red, y):
    """The smallest q_max whose top two blocks weigh at most
    10^-(TAIL_DECADES + 4) (a margin for the next model of a sweep), or the
    current one."""
    w = block_weights(red, y)
    Q = w.size - 1
    if Q == red.layout.N:
        return Q
    above = np.maximum.accumulate(w[::-1])[::-1]   # largest weight from q on
    small = np.flatnonzero(above <= -(TAIL_DECADES + 4))
    return int(max(small[0] + 1, 2)) if small.size else Q


def full_residual(model, red, y):
    """||L x||_inf / (||L||_inf ||x||_inf) on every q for x zero above q_max.

    The rows of q <= q_max come from R; those of the blocks q_max < q <=
    q_max + Q_REACH (the only ones x reaches) are assembled here. The norm of
    L is taken over these rows (a lower bound: the residual is an upper bound).
    """
    layout = red.layout
    Q, N = int(layout.qs[-1]), layout.N
    if Q == N:
        return red.residual(y)
    Ry = np.abs(red.product(y)).max()
    top = min(N, Q + Q_REACH)
    ext = QLayout(N, range(-top, top + 1))
    rows = slice(ext.q_slice(Q + 1).start, ext.q_slice(top).stop)
    L = assemble(model, ext, rows=rows, drop_outside=True)
    x = np.zeros(ext.size, complex)
    x[ext.q_slice(-Q).start:ext.q_slice(Q).stop] = red.to_full(y)
    Lx = np.abs(L @ x).max()
    norm = max(red.norm, norm_inf(L))
    return float(max(Ry, Lx) / (norm * np.abs(y).max()))


def elements_above(N, q_max):
    """Elements rho_{J,m,m'} with q = m - m' > q_max (as many as with q < -q_max)."""
    dims = 2 * (N / 2.0 - np.arange(N // 2 + 1)) + 1          # 2J + 1 of every J
    k = np.maximum(dims - q_max - 1, 0)          # per J: q_max < q < 2J + 1
    return float((k * (k + 1) / 2).sum())
