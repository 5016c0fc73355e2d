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
sweep over q (:mod:`._block_gs`) that uses sparse LU factors of the diagonal
blocks, those of q >= N/8 in single precision (from N = 128 on). Where memory
is short the Krylov basis is stored in single precision too; the residual stays
a double-precision one.

Coherences of high order q carry weights that fall off by many decades, so only
the blocks q <= q_max are solved, q_max growing until the top blocks are
negligible (``BlockSolver``, :mod:`._qcut`).

Normalization by pinning one population (:mod:`._pinning`), chosen where the
population is large (a second pass re-pins if the first guess had little weight).
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np

from ..dicke import num_dicke_states
from ..state import PIState
from .._gmres import gmres
from .._validation import check_option_keys
from .._resources import available_memory, check_memory, limit_blas_threads, \
    make_progress_bar
from ._block_gs import GaussSeidel, factor_block
from ._common import ENGINE_TOL, ConvergenceWarning, SteadyStateError, check_unique, finalize
from ._hermitian import HermitianReduction
from ._pinning import guess_weights, pin_candidates, pinned_solve
from ._qcut import TAIL_DECADES, elements_above, first_cut, fitted, full_residual, \
    grown_cut, needed_cut, tail_weight
from .liouvillian import QLayout, assemble, state_from_vector, vector_from_state

__all__ = ["solve_blocks", "BlockSolver", "blocks_memory", "OPTIONS"]

#: Valid option keys of the block route (see :class:`BlockSolver`).
OPTIONS = ("tol", "x0", "truncate", "restart", "maxiter", "gmres_tol", "refactor_iterations",
           "direct_max", "progress_bar", "force_memory", "blas_threads", "factor_precision",
           "krylov_precision")

#: A pinned population below this fraction of the largest is re-pinned at the
#: largest for the normalization (a pin of small weight leaves GMRES's residual
#: estimate optimistic: 4e-13 true residual at a pin of weight ~1e-6); the next
#: round or model pins afresh rather than there.
REPIN = 1e-3

#: GMRES iterates each cycle to this estimated relative residual, far below the
#: acceptance bound: the steady state's I_M moves by ~1e-11 relative between
#: residuals of 1e-14 and 1e-16 (N = 120), and the last decades cost only a few
#: iterations of a geometric convergence.
AIM = 1e-15

#: Below this N every factor is kept in double precision: the memory is small,
#: and at N = 60 the single-precision blocks cost 30 instead of 21 iterations.
MIXED_MIN_N = 128


def blocks_memory(N, restart: int = 60, factor_precision: str = "mixed",
                  krylov_vectors=None, krylov_precision: str = "double",
                  q_max=None) -> float:
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
    takes 4 bytes per entry. ``q_max``: only the blocks q <= q_max (default all).
    """
    q_max = N if q_max is None else int(q_max)
    # real unknowns of the q >= 0 system: (N+1)(N+2)(N+3)/6 for every q
    n_all = (N + 1) * (N + 2) * (N + 3) / 6.0 - 2.0 * elements_above(N, q_max)
    fill = 0.06 * N ** 3 * max(np.log2(N), 1.0) ** 2
    # the shares of the entries in the blocks kept and in the single-precision
    # ones (fill ~ block size^2 log)
    sizes = (N + 1.0 - np.arange(N + 1)) ** 2
    weight = sizes * np.log2(sizes + 2.0)
    weight /= weight.sum()
    first = _single_from(N, {"factor_precision": factor_precision})
    single = weight[first:q_max + 1].sum()
    factors = fill * (20.0 * (weight[:q_max + 1].sum() - single) + 12.0 * single)
    if krylov_vectors is None:
        krylov_vectors = min(restart, 40) + 1
    krylov = (4.0 if krylov_precision == "single" else 8.0) * n_all * krylov_vectors
    return factors + 306.0 * n_all + krylov + 1.9e8


class BlockSolver:
    """Reusable GMRES + block Gauss-Seidel solver for a sequence of models.

    The steady state's coherences of order q fall off steeply with q (at
    N = 240, LMG h = 0.5, Gamma = 2: 1e-18 of the largest element by q ~ 42 of
    240), so by default only the blocks q <= q_max are solved, with the state
    set to zero above: q_max grows until the top two blocks of the solution
    weigh at most 10^-TAIL_DECADES of its largest element (the whole space if
    need be), and the reported residual includes the equations of the blocks
    left out.

    The LU factors of the q-blocks of one model precondition the next one too
    (a preconditioner only has to be close). They are kept while that pays: the
    next model refactorizes when the iterations the stale factors cost beyond
    those of the last fresh factorization took longer than a factorization
    (measured), or when GMRES needed more than ``refactor_iterations``, or N
    changes. The last solution (or the line through the last two) is the next
    initial guess, its q_max the next one's, and its pinned population the next
    one's while that keeps at least REPIN of the largest (else the q = 0 block
    chooses again, and only the q = 0 factor is redone).

    Options
    -------
    tol : float
        Acceptance bound of residual, trace, Hermiticity, negativity (1e-10).
    x0 : PIState or array
        Initial guess (default: the previous solution); an array lists the
        elements of every q (``QLayout(N, range(-N, N + 1))``).
    truncate : bool
        Solve only the blocks of q <= q_max, as above (True), or every q.
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
        self._reset(None)

    def _reset(self, N):
        self._N = N
        self._factors = None   # q -> (SuperLU, dtype); None: refactorize all
        self._y = None         # the last solution, reduced real unknowns
        self._y_before = None  # the one before (for extrapolation)
        self._pin = None       # where the q = 0 factor is pinned (q = 0 position)
        self._chosen_pin = None  # the last solve's pin before any re-pin
        self._q_max = None     # the last accepted q_max
        self._cost = {}        # measured: factor seconds, seconds per iteration, fresh its
        self._single_from = None  # first q of the single-precision factors
        self._factorizations = 0  # count of _refactorize calls

    # ----------------------------------------------------------------
    def solve(self, model, options=None) -> PIState:
        opts = {**self.options, **check_option_keys(options, OPTIONS, "BlockSolver.solve")}
        check_unique(model)
        N = model.N
        truncate = opts.get("truncate", True)
        if not isinstance(truncate, (bool, np.bool_)):
            raise ValueError(f"options['truncate'] must be True or False, got {truncate!r}")
        single_from = _single_from(N, opts)
        if self._N != N:
            self._reset(N)
        q_max = min(N, self._q_max or first_cut(N)) if truncate else N
        tol = opts.get("tol", ENGINE_TOL)
        t0 = time.perf_counter()
        start = opts.get("x0")
        if start is not None and not isinstance(start, PIState):
            start = state_from_vector(N, QLayout(N, range(-N, N + 1)), np.asarray(start))
        first_pin = self._pin_of(N, start)
        fresh = self._factors is None  # every factor made for this model
        if fresh:
            self._factors, self._single_from = {}, single_from
        factorizations, t_factor, its = self._factorizations, 0.0, 0
        with limit_blas_threads(opts.get("blas_threads", 1)):
            while True:  # q_max grows until the blocks left out are negligible
                restart, krylov = self._krylov_settings(N, q_max, opts)
                layout = QLayout(N, range(-q_max, q_max + 1))
                # every round from the first choice of pin (a re-pin at the
                # largest population only normalizes)
                y, n, converged, red, chosen, t = self._solve_on(
                    model, layout, start, first_pin, fresh,
                    {**opts, "restart": restart, "krylov_precision": krylov})
                its, t_factor = its + n, t_factor + t
                if q_max == N or (converged and tail_weight(red, y) <= 10.0 ** -TAIL_DECADES):
                    break
                # a failed solve says nothing of the tail: then every q (where
                # the direct fallback for small systems is at hand)
                q_max = grown_cut(red, y, N) if converged else N
        refactorized = self._factorizations > factorizations
        if fresh and not refactorized:
            self._cost["factor"] = t_factor
        refactorized = fresh or refactorized
        # Stale factors are kept for the next model while the iterations they
        # cost beyond those of fresh ones take less time than a factorization.
        cost = self._cost
        extra = (n - cost.get("fresh", n)) * cost.get("iteration", 0.0)
        if n > opts.get("refactor_iterations", 80) or extra > cost.get("factor", 0.0):
            self._factors = None  # the next solve refactorizes
        needed = needed_cut(red, y) if truncate else N
        if self._factors is not None:  # the next model starts at q_max = needed
            for q in [q for q in self._factors if q > needed]:
                del self._factors[q]
        seconds = time.perf_counter() - t0
        y = y / y[:red.block_sizes[0]].sum()
        residual = full_residual(model, red, y)
        self._y_before, self._y, self._chosen_pin, self._q_max = self._y, y, chosen, needed
        state = state_from_vector(N, layout, red.to_full(y))
        return finalize(state, "blocks", residual, seconds, tol, iterations=its,
                        unknowns=layout.size, q_max=int(layout.qs[-1]),
                        refactorized=refactorized, restart=restart,
                        krylov_precision=krylov)

    # ----------------------------------------------------------------
    @staticmethod
    def _krylov_settings(N, q_max, opts):
        """(restart, basis precision): the user's, else a single-precision basis,
        then a shorter restart, where the whole basis would not fit (with a
        margin: a solve may use every vector). Refuses what will not fit."""
        precision = opts.get("factor_precision", "mixed")
        for restart, krylov in ((60, "double"), (60, "single"), (30, "single"),
                                (20, "single")):
            restart = opts.get("restart", restart)
            krylov = opts.get("krylov_precision", krylov)
            whole = blocks_memory(N, restart, precision, restart + 1, krylov, q_max)
            if whole <= 0.9 * available_memory():
                break
        if krylov not in ("double", "single"):
            raise ValueError(f"krylov_precision must be 'double' or 'single', not {krylov!r}")
        check_memory(blocks_memory(N, restart, precision, krylov_precision=krylov,
                                   q_max=q_max),
                     f"the block engine at N={N} (q <= {q_max})",
                     opts.get("force_memory", False))
        return restart, krylov

    def _pin_of(self, N, start):
        """Where to pin: the largest population of an initial guess; else the
        last solve's pin while it keeps a fair weight; else None (chosen from
        the q = 0 block during assembly). Pinning at the largest population
        cost more GMRES iterations than the q = 0 block's choice (N = 200: 40
        against 34; a random model at N = 51 did not converge in 93 against 60)."""
        if start is not None:
            p = vector_from_state(QLayout(N, [0]), start).real
            return int(np.argmax(np.abs(p)))
        if self._y is not None:
            p = self._y[:num_dicke_states(N)]
            if abs(p[self._chosen_pin]) >= REPIN * np.abs(p).max():
                return self._chosen_pin
        return None

    def _start(self, red, start):
        """The initial guess in the reduced unknowns of ``red`` (or None)."""
        if start is not None:
            return red.from_full(vector_from_state(red.layout, start))
        if self._y is None:
            return None
        y0 = fitted(self._y, red.size)
        if self._y_before is None:
            return y0
        # the line through the last two (a sweep's next point, on an even grid)
        line = 2.0 * y0 - fitted(self._y_before, red.size)
        return self._extrapolated(red, y0, line)

    @staticmethod
    def _extrapolated(red, y0, line):
        """The better start of the last solution and the line through the last two."""
        return line if red.residual(line) < red.residual(y0) else y0

    @staticmethod
    def _pin_from_zero_block(W):
        """Pin where the q = 0 block alone (the dynamics without the
        q-changing terms) is largest: it locates the populated region."""
        try:
            x, _, _ = pinned_solve(W, pin_candidates(W))
        except SteadyStateError:  # the q = 0 part alone is degenerate: use the guess
            x = guess_weights(W)
        return int(np.argmax(np.abs(x)))

    def _solve_on(self, model, layout, start, pin, fresh, opts):
        """Assemble on ``layout`` (factorizing the blocks that have no factors
        yet) and solve; ``fresh``: every factor is this model's. Returns (y,
        iterations, converged, reduction, the pin chosen before any re-pin,
        factor seconds)."""
        t_factor = [0.0]

        def factor(q, block):
            nonlocal pin
            if q == 0 and pin is None:
                pin = self._pin_from_zero_block(block.real)
            if q not in self._factors or (q == 0 and pin != self._pin):
                t = time.perf_counter()
                self._factors[q] = factor_block(block, q, pin, q >= self._single_from)
                t_factor[0] += time.perf_counter() - t

        red = HermitianReduction(layout, model, factor)
        self._pin = chosen = pin
        y, its, converged = self._gmres(model, red, self._start(red, start), opts, fresh)
        best = int(np.argmax(np.abs(y[:red.block_sizes[0]])))
        if abs(y[pin]) < REPIN * abs(y[best]):
            # re-pin where the weight is (a poor first guess of the populated region)
            self._pin = pin = best
            self._factors[0] = factor_block(red.zero_block(), 0, pin)
            y, its2, converged = self._gmres(model, red, y, opts)
            its += its2
        return y, its, converged, red, chosen, t_factor[0]

    def _refactorize(self, model, red, single_from):
        """Fresh factors of every q block (the blocks assembled again)."""
        t = time.perf_counter()
        layout = red.layout
        self._factors = {}
        self._factorizations += 1
        for q in range(0, int(layout.qs[-1]) + 1):
            sl = layout.q_slice(q)
            block = assemble(model, layout, rows=sl, drop_outside=red.truncated)[:, sl]
            self._factors[q] = factor_block(block, q, self._pin, q >= single_from)
        self._single_from = single_from
        self._cost["factor"] = time.perf_counter() - t

    def _gmres(self, model, red, y0, opts, fresh=False):
        """GMRES on the pinned reduced system with the current factors.

        Returns (y, iterations, converged); the factors are redone (and the
        solve repeated) if GMRES did not converge with them."""
        layout = red.layout
        t_start = time.perf_counter()
        k0 = self._pin
        A = red.pinned(k0)
        b = np.zeros(red.size)
        b[k0] = 1.0
        precond = GaussSeidel(red, A, self._factors)
        if y0 is not None:
            y0 = y0 / y0[k0] if abs(y0[k0]) > 0 else None
        restart = opts["restart"]
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
        top = int(layout.qs[-1])
        y, info = gmres(A, b, precond.apply, y0, tol=target, aim=AIM, restart=restart,
                        maxiter=opts.get("maxiter", 2 if small else 10), callback=cb,
                        single_basis=opts["krylov_precision"] == "single",
                        # cycles continue from the true residual to 10x the aim
                        # (a cycle may end at its restart above the aim)
                        refine=True)
        res, its = info.residual, info.iterations
        bar.finished()
        if res > target or (not fresh and res > 100 * AIM):
            # The preconditioner from an older model, or with single-precision
            # factors, was too far off: refactorize (in double where that fits)
            # and retry once. Stale factors are also redone when GMRES stopped
            # within the bound but far above its aim (a small system's short
            # budget): a warm start must be as accurate as a cold one.
            single_from = self._single_from
            double = blocks_memory(layout.N, restart, "double",
                                   krylov_precision=opts["krylov_precision"], q_max=top)
            if single_from <= top and double <= 0.9 * available_memory():
                single_from = layout.N + 1
            if not fresh or single_from != self._single_from:
                self._refactorize(model, red, single_from)
                y, its2, converged = self._gmres(model, red, y, opts, fresh=True)
                return y, its + its2, converged
        if res > target and small and not red.truncated:
            # The block Gauss-Seidel preconditioner is weak when the q-changing
            # terms dominate a small dissipative gap (e.g. the boundary time
            # crystal with weak local noise); a direct LU is affordable here.
            warnings.warn(f"GMRES stopped after {its} iterations with relative "
                          f"residual {res:.2e}; solving directly", ConvergenceWarning,
                          stacklevel=4)
            zero = layout.q_slice(0).start
            order = zero + np.argsort(-np.abs(y[:red.block_sizes[0]]))
            L = assemble(model, layout, drop_outside=red.truncated)
            xd, _, _ = pinned_solve(L, [zero + k0] + list(order[:5]))
            return red.from_full(xd), its, True
        if res > target:
            warnings.warn(f"GMRES stopped after {its} iterations with relative "
                          f"residual {res:.2e}", ConvergenceWarning, stacklevel=4)
        cost = self._cost
        cost["iteration"] = (time.perf_counter() - t_start) / max(its, 1)
        if fresh:
            cost["fresh"] = its
        return y, its, res <= target


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


def solve_blocks(model, options=None) -> PIState:
    """One-shot :class:`BlockSolver` solve (see there for options)."""
    return BlockSolver(options).solve(model)
