"""
The block route: steady states on the reduced block space in float64.

Models without U(1) symmetry (the rate equations of :mod:`.rates` cover
the others). The q-conserving part L0 of the Liouvillian is
block diagonal in q; only Hamiltonian or jump terms that change m by different
amounts (h Jx for LMG) couple neighbouring q blocks. The blocks with q < 0 are
the complex conjugates of those with q > 0 (Hermiticity of rho), so only the
equations of q >= 0 are assembled and solved, in real unknowns (the q = 0
populations, Re and Im of each q > 0 block: ``HermitianReduction``), one q
block of rows at a time (assembled, realified and, when due, factorized before
the next). We solve them by restarted GMRES (:mod:`.._gmres`, preconditioned
from the right, so it stops on the true residual) with a block Gauss-Seidel
sweep over q = 0..N that uses sparse LU factors of the diagonal blocks, those
of q >= N/8 in single precision (from N = 128 on). Where memory is short the Krylov basis is
stored in single precision too; the residual stays a double-precision one.

Normalization by pinning one population (:mod:`._pinning`), chosen where the
population is large (a second pass re-pins if the first guess had little weight).
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from ..state import PIState
from .._gmres import gmres
from .._validation import check_option_keys
from .._resources import available_memory, check_memory, limit_blas_threads, \
    make_progress_bar
from ._common import ENGINE_TOL, ConvergenceWarning, SteadyStateError, check_unique, finalize, \
    factor_dtype
from ._hermitian import HermitianReduction
from ._pinning import guess_weights, pin_candidates, pin_system, pinned_solve
from .liouvillian import QLayout, assemble, state_from_vector, vector_from_state

__all__ = ["solve_blocks", "BlockSolver", "blocks_memory", "OPTIONS"]

#: Valid option keys of the block route (see :class:`BlockSolver`).
OPTIONS = ("tol", "x0", "restart", "maxiter", "gmres_tol", "refactor_iterations", "direct_max", "progress_bar", "force_memory",
           "blas_threads", "factor_precision", "krylov_precision")

#: GMRES iterates each cycle to this estimated relative residual, far below the
#: acceptance bound: the steady state's I_M moves by ~1e-11 relative between
#: residuals of 1e-14 and 1e-16 (N = 120), and the last decades cost only a few
#: iterations of a geometric convergence.
AIM = 1e-15

#: Below this N every factor is kept in double precision: the memory is small,
#: and at N = 60 the single-precision blocks cost 30 instead of 21 iterations.
MIXED_MIN_N = 128


def blocks_memory(N, restart: int = 60, factor_precision: str = "mixed",
                  krylov_vectors=None, krylov_precision: str = "double") -> float:
    """Rough peak bytes of the block engine: LU factors + operator + Krylov basis.

    Calibrated on this package's runs (benchmarks/RESULTS.md): 0.72 and 5.38 GiB
    at N = 160 and 320 (mixed factors, GMRES restart 60). The stored LU entries
    grow like 0.06 N^3 log2(N)^2 (measured 1.3e7, 5.2e7, 1.4e8 at N = 160, 240,
    320), at 20 bytes each in double precision and 12 in single; the reduced
    operator, its Gauss-Seidel part, the layout and the GMRES vectors take about
    306 bytes per real unknown; the Krylov basis is counted with the vectors a
    solve typically touches (at most 41: 20-45 iterations at these sizes; the
    memory of an untouched vector is never committed); ``krylov_vectors``
    overrides that count (``restart + 1`` bounds it); a single-precision basis
    takes 4 bytes per entry.
    """
    n_all = (N + 1) * (N + 2) * (N + 3) / 6.0     # real unknowns of the q >= 0 system
    fill = 0.06 * N ** 3 * max(np.log2(N), 1.0) ** 2
    # the share of the entries in single-precision blocks (fill ~ block size^2 log)
    sizes = (N + 1.0 - np.arange(N + 1)) ** 2
    weight = sizes * np.log2(sizes + 2.0)
    single = weight[_single_from(N, {"factor_precision": factor_precision}):].sum() / weight.sum()
    factors = fill * (20.0 * (1.0 - single) + 12.0 * single)
    if krylov_vectors is None:
        krylov_vectors = min(restart, 40) + 1
    krylov = (4.0 if krylov_precision == "single" else 8.0) * n_all * krylov_vectors
    return factors + 306.0 * n_all + krylov + 1.9e8


class BlockSolver:
    """Reusable GMRES + block Gauss-Seidel solver for a sequence of models.

    The LU factors of the q-blocks of one model precondition the next one too
    (a preconditioner only has to be close). They are kept while that pays: the
    next model refactorizes when the iterations the stale factors cost beyond
    those of the last fresh factorization took longer than a factorization
    (measured), or when GMRES needed more than ``refactor_iterations``, or N
    changes. The last solution is the next initial guess, and the pinned
    element follows its largest population (only the q = 0 factor is redone).

    Options
    -------
    tol : float
        Acceptance bound of residual, trace, Hermiticity, negativity (1e-10).
    x0 : PIState or array
        Initial guess (default: the previous solution).
    restart, maxiter : GMRES Krylov vectors per cycle and cycles (restart 60;
        30 or 20 where a longer basis would not fit in the available memory).
    krylov_precision : {"double", "single"}
        Precision of the stored Krylov basis ("double"; "single" where the
        double basis would not fit: half the memory, more iterations, the same
        double-precision residual bound).
    gmres_tol : float
        GMRES stops at this relative residual (default ``tol / 100``).
    refactor_iterations : int
        Refactorize for the next model if GMRES needed more iterations (80).
    factor_precision : {"mixed", "double"}
        "mixed" (default) stores the LU factors of the blocks with q >= N/8 (at
        least 8; none below N = 128) in single precision: 30 % less memory for the factors, same
        iterations where measured; GMRES still converges on the true residual
        in double precision, and if it does not, the factors are redone in double.
    progress_bar : None, bool or str
        QuTiP progress bar for the factorization and the GMRES restarts.
    force_memory : bool
        Try even if the memory estimate exceeds the available memory.

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> solver = BlockSolver()
    >>> states = [solver.solve(LMG(12, field=0.5, Gamma=g)) for g in (1.0, 1.1)]
    """

    def __init__(self, options=None):
        self.options = check_option_keys(options, OPTIONS, "BlockSolver")
        self._N = None
        self._factors = None
        self._x = None
        self._x_before = None  # the solution before self._x (for extrapolation)
        self._k0 = None
        self._cost = {}  # measured: factor seconds, seconds per iteration, fresh its
        self._single_from = None  # first q of the single-precision factors

    # ----------------------------------------------------------------
    def solve(self, model, options=None) -> PIState:
        opts = {**self.options, **check_option_keys(options, OPTIONS, "BlockSolver.solve")}
        check_unique(model)
        N = model.N
        precision = opts.get("factor_precision", "mixed")
        if "restart" not in opts or "krylov_precision" not in opts:
            # A single-precision Krylov basis, then a shorter restart, where the
            # whole basis would not fit (with a margin: a solve may use every vector).
            for restart, krylov in ((60, "double"), (60, "single"), (30, "single"),
                                    (20, "single")):
                restart = opts.get("restart", restart)
                krylov = opts.get("krylov_precision", krylov)
                whole = blocks_memory(N, restart, precision, restart + 1, krylov)
                if whole <= 0.9 * available_memory():
                    break
            opts["restart"], opts["krylov_precision"] = restart, krylov
        if opts["krylov_precision"] not in ("double", "single"):
            raise ValueError("krylov_precision must be 'double' or 'single', "
                             f"not {opts['krylov_precision']!r}")
        check_memory(blocks_memory(N, opts["restart"], precision,
                                   krylov_precision=opts["krylov_precision"]),
                     f"the block engine at N={N}", opts.get("force_memory", False))
        t0 = time.perf_counter()
        layout = QLayout(N, range(-N, N + 1))
        if self._N != N:
            self._N, self._factors, self._x, self._k0 = N, None, None, None
            self._x_before = None
        x0 = opts.get("x0", self._x)
        if isinstance(x0, PIState):
            x0 = vector_from_state(layout, x0)
        k0 = None if x0 is None else self._largest_population(layout, x0)
        tol = opts.get("tol", ENGINE_TOL)
        factored = self._factors is None
        single_from = _single_from(N, opts)
        if factored:
            self._single_from = single_from
        with limit_blas_threads(opts.get("blas_threads", 1)):
            # The rows q >= 0 are assembled, realified and (when new factors are
            # due) factorized one q block at a time: the complex L is never whole.
            t_factor = [0.0]
            fresh = {}

            def factor(q, block):
                nonlocal k0
                if q == 0 and k0 is None:
                    k0 = self._pin_from_zero_block(layout, block.real)
                if factored or (q == 0 and k0 != self._k0):
                    t = time.perf_counter()
                    fresh[q] = _factor_block(block, q, k0 - layout.q_slice(0).start,
                                             single=q >= single_from)
                    t_factor[0] += time.perf_counter() - t

            red = HermitianReduction(layout, model, factor)
            if "x0" not in opts and self._x_before is not None:
                x0 = self._extrapolated(red, x0)
            if factored:
                self._factors = fresh
                self._cost["factor"] = t_factor[0]
            else:
                self._factors.update(fresh)
            x, its, refactored = self._gmres(model, red, k0, x0, opts, factored)
            factored = factored or refactored
            best = self._largest_population(layout, x)
            if abs(x[k0]) < 1e-3 * abs(x[best]):
                k0 = best
                self._factors[0] = _factor_block(red.zero_block(), 0,
                                                 k0 - layout.q_slice(0).start)
                x, its2, _ = self._gmres(model, red, k0, x, opts, factored)
                its += its2
        # Stale factors are kept for the next model while the iterations they
        # cost beyond those of fresh ones take less time than a factorization.
        cost = self._cost
        extra = (its - cost.get("fresh", its)) * cost.get("iteration", 0.0)
        if its > opts.get("refactor_iterations", 80) or extra > cost.get("factor", 0.0):
            self._factors = None  # the next solve refactorizes
        seconds = time.perf_counter() - t0
        diag = layout.m == layout.mp
        x = x / x[diag].sum()
        residual = red.residual(x)  # = that of all rows (conjugates)
        self._x_before, self._x, self._k0 = self._x, x, k0
        state = state_from_vector(N, layout, x)
        return finalize(state, "blocks", residual, seconds, tol, iterations=its,
                        unknowns=layout.size, refactorized=factored,
                        restart=opts["restart"], krylov_precision=opts["krylov_precision"])

    # ----------------------------------------------------------------
    def _extrapolated(self, red, x0):
        """The better start of the last solution and the line through the last
        two (a sweep's next point, on an even grid), judged by the residual."""
        line = 2.0 * self._x - self._x_before
        return line if red.residual(line) < red.residual(x0) else x0

    @staticmethod
    def _largest_population(layout, x):
        diag = np.flatnonzero(layout.m == layout.mp)
        return int(diag[np.argmax(np.abs(x[diag]))])

    @staticmethod
    def _pin_from_zero_block(layout, W):
        """Pin where the q = 0 block alone (the dynamics without the
        q-changing terms) is largest: it locates the populated region."""
        try:
            x, _, _ = pinned_solve(W, pin_candidates(W))
        except SteadyStateError:  # the q = 0 part alone is degenerate: use the guess
            x = guess_weights(W)
        return int(layout.q_slice(0).start + np.argmax(np.abs(x)))

    def _refactorize(self, model, red, k0, single_from):
        """Fresh factors of every q block (the blocks assembled again)."""
        t = time.perf_counter()
        layout = red.layout
        self._factors = {}
        for q in range(0, layout.N + 1):
            sl = layout.q_slice(q)
            block = assemble(model, layout, rows=sl)[:, sl]
            self._factors[q] = _factor_block(block, q, k0 - layout.q_slice(0).start,
                                             single=q >= single_from)
        self._single_from = single_from
        self._cost["factor"] = time.perf_counter() - t

    def _gmres(self, model, red, k0, x0, opts, factored=False):
        """GMRES on the pinned reduced system with the current factors.

        Returns (x, iterations, whether the factors were redone here)."""
        layout = red.layout
        t_start = time.perf_counter()
        k0r = int(red.re[k0])
        A = red.pinned(k0r)
        b = np.zeros(red.size)
        b[k0r] = 1.0
        precond = _GaussSeidel(red, A, self._factors)
        if x0 is not None:
            x0 = red.from_full(x0 / x0[k0]) if abs(x0[k0]) > 0 else None
        restart = opts.get("restart", 60)
        bar = make_progress_bar(opts.get("progress_bar"), restart * opts.get("maxiter", 10))
        # (the bar's length is an upper bound: it finishes early on convergence)
        iterations = itertools.count(1)

        def cb(_):
            if next(iterations) % restart == 0:
                bar.update()

        # GMRES stops on the true residual ||A y - b|| / (||A|| ||y||) with a
        # margin of 100 below the acceptance bound of the reported one.
        target = opts.get("gmres_tol", opts.get("tol", ENGINE_TOL) * 1e-2)
        # Where a direct LU is affordable, give GMRES a short budget: when the
        # preconditioner works it converges in 20-60 iterations.
        small = layout.size <= opts.get("direct_max", 120_000)
        y, info = gmres(A, b, precond.apply, x0, tol=target, aim=AIM, restart=restart,
                        maxiter=opts.get("maxiter", 2 if small else 10), callback=cb,
                        single_basis=opts.get("krylov_precision") == "single",
                        refine=opts.get("krylov_precision") == "single"
                        or self._single_from <= layout.N)
        res, its = info.residual, info.iterations
        bar.finished()
        x = red.to_full(y)
        if res > target:
            # The preconditioner from an older model, or with single-precision
            # factors, was too far off: refactorize (in double where that fits)
            # and retry once.
            single_from = self._single_from
            double = blocks_memory(layout.N, restart, "double",
                                   krylov_precision=opts["krylov_precision"])
            if single_from <= layout.N and double <= 0.9 * available_memory():
                single_from = layout.N + 1
            if not factored or single_from != self._single_from:
                self._refactorize(model, red, k0, single_from)
                x, its2, _ = self._gmres(model, red, k0, x, opts, factored=True)
                return x, its + its2, True
        if res > target and small:
            # The block Gauss-Seidel preconditioner is weak when the q-changing
            # terms dominate a small dissipative gap (e.g. the boundary time
            # crystal with weak local noise); a direct LU is affordable here.
            warnings.warn(f"GMRES stopped after {its} iterations with relative "
                          f"residual {res:.2e}; solving directly", ConvergenceWarning,
                          stacklevel=3)
            order = np.argsort(-np.abs(x) * (layout.m == layout.mp))
            xd, _, _ = pinned_solve(assemble(model, layout), [k0] + list(order[:5]))
            return xd, its, False
        if res > target:
            warnings.warn(f"GMRES stopped after {its} iterations with relative "
                          f"residual {res:.2e}", ConvergenceWarning, stacklevel=3)
        cost = self._cost
        cost["iteration"] = (time.perf_counter() - t_start) / max(its, 1)
        if factored:
            cost["fresh"] = its
        return x, its, False


def _single_from(N, opts):
    """First q whose block is factorized in single precision (N + 1: none).

    Blocks of large q hold little of the steady state's weight, so rounding
    their preconditioner solves to single precision costs no iterations
    (measured at N = 160-240: the same counts and residuals from q >= N/8 on),
    while their factors, about 30 % of the stored entries, take half the bytes.
    """
    precision = opts.get("factor_precision", "mixed")
    if precision not in ("mixed", "double"):
        raise ValueError(f"factor_precision must be 'mixed' or 'double', not {precision!r}")
    if precision == "double" or N < MIXED_MIN_N:
        return N + 1
    return max(8, -(-N // 8))


def _factor_block(block, q, k0, single=False):
    """SuperLU factors of the diagonal block of q (q = 0: pinned at k0, real).

    ``single``: factorize in complex64 (a preconditioner's precision).
    """
    if single and q > 0:
        block = block.astype(np.complex64)
    if q == 0:
        block = pin_system(block, k0)
        if np.abs(block.data.imag).max(initial=0) == 0:
            block = block.real
    try:
        return spl.splu(block.tocsc(), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError:
        # A singular diagonal block (its own dynamics has several stationary
        # states): a slightly shifted factor is still a good preconditioner.
        shift = 1e-8 * max(abs(block).sum(axis=1).max(), 1.0)
        block = block - shift * sp.identity(block.shape[0], format="csr")
        return spl.splu(block.tocsc(), permc_spec="MMD_AT_PLUS_A")


class _GaussSeidel:
    """Forward block Gauss-Seidel over q = 0..N on the reduced real system.

    The diagonal blocks are solved with the exact LU factors of the complex q
    blocks (q = 0 real, with the pin); the coupling to already-updated lower q
    blocks is one sparse product per block, its rows sliced once here.
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
        self.dtypes = {q: factor_dtype(lu) for q, lu in factors.items()}

    def apply(self, r):
        r = np.asarray(r, dtype=float).ravel()
        y = np.empty_like(r)
        for q, sl, low in self.blocks:
            rhs = r[sl] if low is None else r[sl] - low @ y
            lu, dtype = self.factors[q], self.dtypes[q]
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


def solve_blocks(model, options=None) -> PIState:
    """One-shot :class:`BlockSolver` solve (see there for options)."""
    return BlockSolver(options).solve(model)
