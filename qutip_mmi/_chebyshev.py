"""
Chebyshev propagator: exp(t A) v for a constant real sparse generator A.

The Liouvillians of the engine are stiff (eigenvalues down to Re ~ -1.8 N) but
their spectrum fills an ellipse whose imaginary extent is smaller than its real
one. On an ellipse E with foci c +- d (real foci) the Chebyshev series

    exp(t z) = exp(t c) [I_0(t d) + 2 sum_k I_k(t d) T_k((z - c) / d)]

needs about t * b + O(sqrt(t a)) terms for semi-axes a (real) and b (imaginary),
one product with A each; an explicit Runge-Kutta method needs ~ t * 1.85 N / 0.3
products (its step is bounded by stability, not accuracy). For foci c +- i d
(spectra taller than wide: weak dissipation) the series uses J_k(t d) and the
same recurrence with the sign of the last term flipped (all real arithmetic).

The ellipse is fitted to Ritz values of a short Arnoldi run scaled by a margin
about 0 (the steady state's eigenvalue 0 stays the right vertex). The series is
summed a posteriori: a time is finished when the coefficient bound on E and the
observed terms have stayed below the tolerance for four terms past the bulk. The
largest term is tracked: terms much larger than the result (the ellipse missing
part of the spectrum, or a window too long for the ellipse's right extent) lose
digits, so the window is redone on a wider ellipse.

The terms are scaled by rho^-k (rho the ellipse's parameter) so that they stay
O(1); the coefficients are formed in logarithms (the Bessel functions underflow
where rho^k overflows).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
import scipy.special as sps
from scipy.sparse import _sparsetools

__all__ = ["ChebyshevPropagator", "Ellipse", "fit_ellipse", "ritz_values",
           "resolve_threads"]

#: Largest term allowed relative to the result's scale (digits lost to cancellation).
PEAK_LIMIT = 1e4
#: Terms per window before the window is cut (bounds k log(rho) and the summation band).
TERMS_PER_WINDOW = 1500
#: Work space for the output times summed in one window (bytes; 4 to 16 times:
#: each time adds its band of terms, so longer windows cost more than they save).
OUTPUT_BYTES = 2e8
#: Rows per thread at least (below, thread hand-offs cost more than they save).
MIN_ROWS_PER_THREAD = 10_000
#: Buffered terms per accumulation (one matrix product adds them to every output).
_BUFFER = 32


def ritz_values(A, steps=40, seed=0) -> np.ndarray:
    """Eigenvalues of the Arnoldi Hessenberg matrix of A (``steps`` products)."""
    n = A.shape[0]
    steps = int(min(steps, n))
    rng = np.random.default_rng(seed)
    V = np.zeros((steps + 1, n), dtype=A.dtype)
    H = np.zeros((steps + 1, steps), dtype=A.dtype)
    v = rng.standard_normal(n)
    V[0] = v / np.linalg.norm(v)
    m = steps
    for j in range(steps):
        w = A @ V[j]
        for _ in range(2):  # classical Gram-Schmidt, twice (enough for 40 steps)
            h = V[:j + 1].conj() @ w
            w -= h @ V[:j + 1]
            H[:j + 1, j] += h
        H[j + 1, j] = np.linalg.norm(w)
        if H[j + 1, j] < 1e-12 * max(np.abs(H[:j + 2, j]).max(), 1e-300):
            m = j + 1  # invariant subspace: its eigenvalues are exact
            break
        V[j + 1] = w / H[j + 1, j]
    return np.linalg.eigvals(H[:m, :m])


class Ellipse:
    """Ellipse with foci c +- d (``imaginary=False``) or c +- i d, parameter rho > 1.

    Semi-axes: d (rho + 1/rho) / 2 along the foci, d (rho - 1/rho) / 2 across.
    """

    def __init__(self, c, d, rho, imaginary):
        self.c, self.d, self.rho, self.imaginary = float(c), float(d), float(rho), imaginary

    @property
    def semi_axes(self):
        """(real, imaginary) semi-axes."""
        along = self.d * (self.rho + 1 / self.rho) / 2
        across = self.d * (self.rho - 1 / self.rho) / 2
        return (across, along) if self.imaginary else (along, across)

    @property
    def right_extent(self) -> float:
        """Largest real part on the ellipse (exp(t z) grows like exp(t * this))."""
        return self.c + self.semi_axes[0]

    def widened(self, factor) -> "Ellipse":
        """The confocal-scaled ellipse with both semi-axes times ``factor`` about 0."""
        return Ellipse(self.c * factor, self.d * factor, self.rho, self.imaginary)

    def log_coefficients(self, t, kmax) -> np.ndarray:
        """log |a_k| with exp(t z) = sum_k a_k rho^-k T_k-scaled terms, k = 0..kmax,
        and the sign of each a_k (second array)."""
        x = t * self.d
        k = np.arange(kmax + 1)
        if self.imaginary:
            # exp(t c) [J_0(x) + 2 sum_k J_k(x) p_k], p_k = i^-k T_k(-i (z - c) / d)
            jk = sps.jv(k, x)
            with np.errstate(divide="ignore"):
                logs = np.log(np.abs(jk)) + t * self.c
            sign = np.sign(jk)
        else:
            logs = _log_ive(kmax, x) + t * (self.c + self.d)
            sign = np.ones(kmax + 1)
        logs = logs + k * np.log(self.rho)
        logs[1:] += np.log(2.0)
        return logs, sign

    def __repr__(self):
        a, b = self.semi_axes
        return (f"Ellipse(c={self.c:.4g}, d={self.d:.4g}, rho={self.rho:.4g}, "
                f"{'imaginary' if self.imaginary else 'real'} foci, semi-axes "
                f"{a:.4g} x {b:.4g})")


def _log_ive(kmax, x):
    """log(I_k(x) exp(-x)) for k = 0..kmax without underflow: the ratios
    I_{k+1}/I_k from their continued fraction, run backwards (stable)."""
    if x == 0:
        out = np.full(kmax + 1, -np.inf)
        out[0] = 0.0
        return out
    K = kmax + 40 + int(x)
    ratios = np.empty(K)
    r = 0.0
    for k in range(K - 1, -1, -1):
        r = x / (2.0 * (k + 1) + x * r)
        ratios[k] = r
    return np.log(sps.ive(0, x)) + np.concatenate([[0.0], np.cumsum(np.log(ratios[:kmax]))])


def _rho_needed(theta, c, d, imaginary):
    """Smallest rho of the ellipses (foci c +- d or c +- i d, one per entry of
    the array d) containing all theta."""
    d = np.asarray(d, float)[:, None]
    w = (theta[None, :] - c) / (1j * d if imaginary else d)
    s = np.sqrt(w * w - 1 + 0j)
    rho = np.maximum(np.abs(w + s), np.abs(w - s)).max(axis=1)
    return np.maximum(rho, 1.0 + 1e-9)


def fit_ellipse(theta, margin=1.2) -> Ellipse:
    """Ellipse containing ``margin * theta`` (and 0, and the conjugates) that
    minimizes the estimated number of terms per unit time."""
    theta = np.asarray(theta, complex) * margin
    theta = np.concatenate([theta, theta.conj(), [0.0]])
    left = min(float(theta.real.min()), -1e-12)
    height = float(np.abs(theta.imag).max())
    scale = max(-left, height)
    best = None

    def consider(c, ds, imaginary):
        nonlocal best
        ds = ds[ds > 0]
        if c > 0 or not ds.size:
            return
        for d, rho in zip(ds, _rho_needed(theta, c, ds, imaginary)):
            ell = Ellipse(c, d, rho, imaginary)
            cost = _cost(ell, *ell.semi_axes)
            if best is None or cost < best[0]:
                best = (cost, ell)

    for imaginary in (False, True):
        for c in np.linspace(left, 0.0, 33)[:-1] if not imaginary else \
                np.linspace(left, 0.0, 33)[1:]:
            span = (height if imaginary else -c) + 1e-12 * scale
            consider(c, np.linspace(0.02, 1.5, 30) * span, imaginary)
    # refine around the best grid point
    step_c, step_d = -left / 32, best[1].d / 10
    for _ in range(3):
        ell = best[1]
        for c in ell.c + step_c * np.linspace(-1, 1, 9):
            consider(min(c, -1e-12 * scale) if not ell.imaginary else c,
                     ell.d + step_d * np.linspace(-1, 1, 9), ell.imaginary)
        step_c, step_d = step_c / 4, step_d / 4
    return best[1]


def _window_length(ell):
    """Longest window: terms grow like exp(t * right extent) (kept below
    PEAK_LIMIT / 10), and a window holds ~TERMS_PER_WINDOW terms (bulk and tail)."""
    a, b = ell.semi_axes
    length = min(TERMS_PER_WINDOW / max(b * (1.3 if ell.imaginary else 1.0), 1e-300),
                 (TERMS_PER_WINDOW / 6.0) ** 2 / max(a, b, 1e-300))
    if ell.right_extent > 0:
        length = min(length, np.log(PEAK_LIMIT / 10) / ell.right_extent)
    return length


def _cost(ell, a, b):
    """Estimated terms per unit time: the imaginary extent per unit time plus the
    sqrt(t a) tail of each window."""
    length = _window_length(ell)
    per_time = b if not ell.imaginary else 1.3 * b
    return per_time + 6.0 * np.sqrt(max(a, b) / length) + 10.0 / length


class ChebyshevPropagator:
    """exp(t A) v for a sparse ``A`` (CSR, real or complex), several t at once.

    Parameters
    ----------
    A : scipy.sparse matrix
        The constant generator.
    atol, rtol : float
        Tolerance on each entry of the result: atol + rtol * max |v|.
    margin : float
        Scale of the Ritz values (about 0) before fitting the ellipse.
    threads : int
        Threads sharing the rows of every term's update (one per core helps:
        the products are memory bound); at most one per MIN_ROWS_PER_THREAD
        unknowns.
    """

    def __init__(self, A, atol=1e-10, rtol=1e-8, margin=1.1, arnoldi_steps=40,
                 threads=1):
        self.A = A.tocsr()
        self.n = self.A.shape[0]
        self.atol, self.rtol = float(atol), float(rtol)
        self.nmv = 0
        theta = ritz_values(self.A, arnoldi_steps)
        self.nmv += min(arnoldi_steps, self.n)
        self.ellipse = fit_ellipse(theta, margin)
        self.windows = 0
        self.redone = 0
        # the products are memory bound: two threads on two cores gave 1.9x for
        # the rate equations at N = 1000, 1.2-1.3x for the coherent layout
        self.threads = max(1, min(int(threads), self.n // MIN_ROWS_PER_THREAD or 1))
        self._pool = ThreadPoolExecutor(self.threads - 1) if self.threads > 1 else None
        self._set(self.ellipse)

    def _set(self, ell):
        self.ellipse = ell
        # B = (2 / (d rho)) (A - c): one product per term
        B = self.A * (2.0 / (ell.d * ell.rho))
        B = B - (2.0 * ell.c / (ell.d * ell.rho)) * sp.identity(self.n, format="csr")
        self._B = B.tocsr()
        self._B.sort_indices()
        # row blocks for the threads (each does its rows of every per-term update)
        cuts = np.linspace(0, self.n, self.threads + 1).astype(int)
        self._parts = [(slice(a, b), self._B[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]

    def close(self):
        """Stop the worker threads (also done when the propagator is collected)."""
        pool = getattr(self, "_pool", None)  # None too if __init__ failed early
        if pool is not None:
            pool.shutdown(wait=False)
            self._pool = None

    def __del__(self):
        self.close()

    @property
    def max_window(self) -> float:
        """Longest time step of one window."""
        return _window_length(self.ellipse)

    def run(self, v, times, record):
        """Call ``record(k, exp((times[k] - times[0]) A) v)`` for k = 1, 2, ...

        Consecutive outputs share one series (a window) while they lie within
        :attr:`max_window` of its start (4 to 16 of them, ``OUTPUT_BYTES`` of
        work space); a longer output interval is cut into equal sub-steps.
        """
        times = np.asarray(times, float)
        max_outputs = int(np.clip(OUTPUT_BYTES / (8.0 * self.n), 4, 16))
        k = 1
        while k < len(times):
            t0 = times[k - 1]
            if times[k] - t0 > self.max_window:
                v = self._advance(v, t0, times[k])
                record(k, v)
                k += 1
                continue
            stop = k
            while (stop + 1 < len(times) and stop + 1 - k < max_outputs
                   and times[stop + 1] - t0 <= self.max_window):
                stop += 1
            outs = self._checked(v, times[k:stop + 1] - t0)
            if outs is None:  # the ellipse was widened: windows are shorter now
                continue
            for j, y in enumerate(outs):
                record(k + j, y)
            v = outs[-1]
            k = stop + 1

    def _advance(self, v, t0, t1):
        """exp((t1 - t0) A) v in equal sub-steps no longer than max_window."""
        while t1 - t0 > 0:
            n_sub = int(np.ceil((t1 - t0) / self.max_window * (1 - 1e-12)))
            out = self._checked(v, [(t1 - t0) / n_sub])
            if out is not None:
                v = out[0]
                t0 = t1 if n_sub == 1 else t0 + (t1 - t0) / n_sub
        return v

    def _checked(self, v, dts):
        """The series for dts, widening the ellipse while terms lose digits; None
        when the widened ellipse no longer allows dts[-1] in one window."""
        dts = np.asarray(dts, float)
        for _ in range(12):  # up to 1.25^12 = 15x wider
            out, peak, scale = self._series(v, dts)
            if peak <= PEAK_LIMIT * scale:
                self.windows += 1
                return out
            # Terms far above the result: part of the spectrum lies outside the
            # ellipse (or the window is too long for it): widen, redo.
            self.redone += 1
            self._set(self.ellipse.widened(1.25))
            if dts[-1] > self.max_window:
                return None
        raise RuntimeError(f"evolve: the Chebyshev series kept losing digits (largest "
                           f"term {peak:.2g} times the state) on {self.ellipse}; use "
                           f"options={{'method': 'dop853'}}")

    def _series(self, v, dts):
        """Sum the series for every t in dts: (results, largest term, max |v|).

        The terms are made in runs that end at a buffer boundary or where the
        coefficients predict the last term; their sizes are checked after each
        run (a run overshoots by a few terms at most), which keeps the per-term
        work to one product and one update.
        """
        ell = self.ellipse
        scale = max(float(np.abs(v).max()), 1e-300)
        tol = 0.1 * (self.atol + self.rtol * scale)
        # the coefficients' bulk ends near t * (imaginary semi-axis); tails follow
        bulk = dts * ell.semi_axes[1] * (1.3 if ell.imaginary else 1.0)
        kmax = int(1.5 * bulk[-1]) + 64
        coef = self._coefficients(dts, kmax)
        dtype = np.result_type(self._B.dtype, v.dtype)
        out = np.zeros((len(dts), self.n), dtype)
        buf = np.empty((_BUFFER, self.n), dtype)
        active = np.ones(len(dts), bool)
        quiet = np.zeros(len(dts), int)
        last = np.full(len(dts), np.iinfo(np.int64).max)  # last term of each time
        buf[0] = v
        s_prev, s = None, buf[0]
        peak, norm_seen = 0.0, scale
        sign = 1.0 if ell.imaginary else -1.0
        inv_rho2 = sign / ell.rho ** 2
        k = 0  # the newest term made
        done = 0  # terms checked: 0 .. done - 1
        while True:
            # the run ends at the buffer's end or at the predicted last term
            first = (k + 1) - (k + 1) % _BUFFER  # the buffer's block of term k + 1
            stop = min(first + _BUFFER - 1,
                       max(self._predicted_last(coef, bulk, active, tol, norm_seen), k + 1))
            while stop > kmax:
                kmax *= 2
                coef = self._coefficients(dts, kmax)
            for j in range(k + 1, stop + 1):
                nxt = buf[j % _BUFFER]
                self._parallel(_next_term, s_prev, s, nxt, inv_rho2)
                s_prev, s = s, nxt
            self.nmv += stop - k
            k = stop
            # check terms done .. k: sizes, peak, which times are finished
            norms = _row_max_abs(buf[done % _BUFFER:k % _BUFFER + 1])
            norm_seen = max(norm_seen, float(norms.max()))
            bound = np.abs(coef[:, done:k + 1])  # |terms scaled by rho^-k| <= 1 on E
            terms = bound * norms
            ks = np.arange(done, k + 1)
            small = (ks > bulk[:, None]) & (terms < tol) & (bound < tol)
            for j in np.flatnonzero(active):
                run = _runs(small[j], quiet[j])
                hit = np.flatnonzero(run >= 4)
                end = hit[0] if hit.size else len(ks) - 1
                peak = max(peak, float(terms[j, :end + 1].max()))
                quiet[j] = run[end]
                if hit.size:
                    last[j] = done + end
                    active[j] = False
            done = k + 1
            if k % _BUFFER == _BUFFER - 1 or not active.any():
                c = coef[:, first:k + 1] * (np.arange(first, k + 1) <= last[:, None])
                # only the times whose coefficients matter in this block (each
                # time's coefficients are a band around t * semi-axis)
                rows = np.flatnonzero(np.abs(c).max(axis=1) * max(norm_seen, 1.0)
                                      > 1e-3 * tol)
                if rows.size:
                    lo, hi = rows[0], rows[-1] + 1  # contiguous: the bands move with t
                    self._parallel(_accumulate, out[lo:hi], c[lo:hi],
                                   buf[:k + 1 - first])
            if not active.any():
                return list(out), peak, scale
            if not np.isfinite(norm_seen) or k > 50 * (bulk[-1] + 100):
                return list(out), np.inf, scale

    @staticmethod
    def _predicted_last(coef, bulk, active, tol, norm):
        """Last term the coefficient bound predicts for the active times (terms
        no larger than ``norm``); the sizes seen later decide."""
        ks = np.arange(coef.shape[1])
        bound = np.abs(coef[active])
        ok = (ks > bulk[active, None]) & (bound * max(norm, 1.0) < tol) & (bound < tol)
        hit = ok.argmax(axis=1)
        if not ok[np.arange(len(hit)), hit].all():
            return coef.shape[1]  # beyond the coefficients made so far
        return int(hit.max()) + 3

    def _parallel(self, task, *arrays):
        """task(rows, B_rows, *arrays) on each of the threads' row blocks."""
        if self._pool is None:  # one thread, or closed: every block here
            for part in self._parts:
                task(*part, *arrays)
            return
        futures = [self._pool.submit(task, *part, *arrays) for part in self._parts[1:]]
        task(*self._parts[0], *arrays)
        for f in futures:
            f.result()

    def _coefficients(self, dts, kmax):
        """a_k per time, shape (len(dts), kmax + 1)."""
        coef = np.empty((len(dts), kmax + 1))
        for j, t in enumerate(dts):
            logs, sign = self.ellipse.log_coefficients(t, kmax)
            coef[j] = sign * np.exp(logs)
        return coef


def _next_term(rows, B_rows, s_prev, s, nxt, inv_rho2):
    """nxt[rows] = (B s)[rows] - s_prev[rows] / rho^2 (imaginary foci: +), or
    (B s)[rows] / 2 for the first term."""
    y = nxt[rows]
    if s_prev is None:
        y[:] = 0.0
        _matvec(B_rows, s, y)
        y *= 0.5
    else:
        np.multiply(s_prev[rows], inv_rho2, out=y)
        _matvec(B_rows, s, y)


def _row_max_abs(rows):
    """max |x| of each row (real rows without a temporary)."""
    if rows.dtype.kind == "f":
        return np.maximum(rows.max(axis=1), -rows.min(axis=1))
    return np.array([np.abs(r).max() for r in rows])


def _runs(small, carry):
    """Length of the run of True ending at each entry (``carry`` before the first)."""
    idx = np.arange(small.size)
    reset = np.maximum.accumulate(np.where(small, -1, idx))
    return np.where(reset < 0, idx + 1 + carry, idx - reset)


def _accumulate(rows, B_rows, out, c, terms):
    """out[:, rows] += c @ terms[:, rows]."""
    out[:, rows] += c @ terms[:, rows]


def _matvec(B, x, y):
    """y += B @ x without temporaries (CSR)."""
    _sparsetools.csr_matvec(B.shape[0], B.shape[1], B.indptr, B.indices, B.data, x, y)


def resolve_threads(threads) -> int:
    """``"auto"``: two threads where the machine has two cores or more (the
    products are memory bound, more rarely help), else one."""
    if threads == "auto":
        return 2 if (os.cpu_count() or 1) >= 2 else 1
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"options['threads'] must be 'auto' or a positive integer, "
                         f"got {threads!r}")
    return int(threads)
