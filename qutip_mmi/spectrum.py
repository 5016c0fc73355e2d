"""
The Liouvillian spectrum on the reduced block space (physical elements only).

:mod:`qutip.piqs` builds its Liouvillian on the zero-padded nds x nds Dicke
space; its cross-J elements are decoupled from the physical ones and add
eigenvalues that belong to no permutation-invariant operator (QuTiP issues
#993, #1545). Here the operator is the engine's reduced float64 Liouvillian
(:func:`qutip_mmi.steadystate.liouvillian.assemble`), which holds only the
same-J elements rho_{J,m,m'}: its eigenvalues are exactly those of the full
2^N Liouvillian on permutation-invariant operators.

The k eigenvalues nearest a shift sigma are found by shift-invert Arnoldi
(ARPACK through :func:`scipy.sparse.linalg.eigs`) with (L - sigma)^-1 applied
by the engine's own solvers: a sparse LU for small systems, GMRES
preconditioned by a block Gauss-Seidel sweep over q = m - m' for large ones.
At the default sigma (zero) the steady state's eigenvalue is removed exactly
(the inverse acts on traceless operators) and reported apart. Models that
conserve q (U(1) symmetry) are block diagonal in q: every sector is solved on
its own and each eigenvalue carries its sector.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from ._resources import limit_blas_threads, make_progress_bar
from ._validation import check_complex, check_options
from ._spectrum_build import build_spaces
from ._spectrum_ops import Deflated, DirectSolver, arnoldi, operator_norm, pin
from ._spectrum_propagator import slowest_pairs
from .state import PIState

__all__ = ["spectrum", "SpectrumResult"]

DEFAULTS = {
    "eigenvectors": False,   # return the right eigenvectors (PIState containers)
    "sector": None,          # one q sector of a q-conserving model
    "which": "nearest",      # "nearest" sigma, or "slowest" (largest real parts)
    "solver": "auto",        # "auto", "direct", "gmres", "propagator"
    "direct_max": 60_000,    # auto: sparse LU up to this many unknowns
    "dense_max": 200,        # dense eig for operators up to this size
    "gmres_tol": 1e-10,      # relative residual of each GMRES solve
    "arpack_tol": None,      # ARPACK's tol: 1e-12 (direct LU), 1e-10 (GMRES, propagator)
    "ncv": None,             # ARPACK's Krylov dimension (default max(2 nev + 1, 20))
    "zero_tol": 1e-9,        # |lambda| <= zero_tol * ||L|| counts as zero
    "blas_threads": 1,
    "threads": "auto",       # threads of the propagator's products (slowest)
    "force_memory": False,
    "progress_bar": None,
}


#: Operators up to this size are diagonalized densely when ARPACK struggles.
DENSE_FALLBACK = 3000


class SpectrumResult:
    """Eigenvalues of the reduced Liouvillian nearest a shift, with diagnostics.

    Attributes
    ----------
    eigenvalues : ndarray of complex
        Sorted by real part, descending (slowest first); conjugate pairs are kept
        whole (a k-th eigenvalue whose conjugate is equally near brings it along).
    frequencies : ndarray of float
        Their imaginary parts (oscillation frequencies).
    gap : float
        Minus the largest real part among ``eigenvalues`` (the Liouvillian gap
        when they include the slowest decaying mode).
    sectors : ndarray of int or None
        The q = m - m' sector of each eigenvalue for a q-conserving model; None
        for models that mix the sectors.
    zero_eigenvalue : complex or None
        The steady state's eigenvalue as computed (its numerical size), when it
        was met; ``zero_residual`` its ||L rho|| / ||rho||.
    num_zero : int
        Number of zero eigenvalues met (several for models without local
        processes: one stationary state per J block at least).
    residuals : ndarray of float
        ||L v - lambda v|| / ||v|| of every returned pair (reduced vectors).
    eigenvectors : list of PIState or None
        Right eigenvectors as J blocks (not density matrices: unit norm of the
        reduced vector), with ``options={"eigenvectors": True}``.
    seconds, method, sigma, N, info : diagnostics.
    """

    def __init__(self, N, eigenvalues, sectors, residuals, zero_eigenvalue, zero_residual,
                 num_zero, sigma, method, seconds, eigenvectors=None, info=None):
        self.N = N
        self.eigenvalues = np.asarray(eigenvalues, dtype=complex)
        self.frequencies = self.eigenvalues.imag.copy()
        self.gap = float(-self.eigenvalues.real.max()) if self.eigenvalues.size else None
        self.sectors = None if sectors is None else np.asarray(sectors, dtype=np.int64)
        self.residuals = np.asarray(residuals, dtype=float)
        self.zero_eigenvalue = zero_eigenvalue
        self.zero_residual = zero_residual
        self.num_zero = int(num_zero)
        self.sigma = sigma
        self.method = method
        self.seconds = float(seconds)
        self.eigenvectors = eigenvectors
        self.info = dict(info or {})

    def as_dict(self):
        """JSON-safe summary (complex numbers as [re, im] pairs)."""
        def pair(z):
            return None if z is None else [float(np.real(z)), float(np.imag(z))]
        return {
            "N": self.N,
            "eigenvalues": [pair(z) for z in self.eigenvalues],
            "frequencies": [float(f) for f in self.frequencies],
            "gap": self.gap,
            "sectors": None if self.sectors is None else [int(s) for s in self.sectors],
            "residuals": [float(r) for r in self.residuals],
            "zero_eigenvalue": pair(self.zero_eigenvalue),
            "zero_residual": self.zero_residual,
            "num_zero": self.num_zero,
            "sigma": pair(self.sigma),
            "method": self.method,
            "seconds": self.seconds,
            "info": self.info,
        }

    def __repr__(self):
        vals = ", ".join(f"{z.real:.6g}{z.imag:+.6g}j" for z in self.eigenvalues[:6])
        more = ", ..." if self.eigenvalues.size > 6 else ""
        gap = "None" if self.gap is None else f"{self.gap:.6g}"
        zero = ("None" if self.zero_eigenvalue is None
                else f"{abs(self.zero_eigenvalue):.1e}")
        res = f"{self.residuals.max():.1e}" if self.residuals.size else "n/a"
        return (f"SpectrumResult(N={self.N}, k={self.eigenvalues.size}, gap={gap}, "
                f"eigenvalues=[{vals}{more}], |zero|={zero}, num_zero={self.num_zero}, "
                f"max residual={res}, method={self.method!r}, seconds={self.seconds:.3g})")


# ------------------------------------------------------------------ checks
def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be a positive integer, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return int(k)


def _check_sector(sector, model):
    if sector is None:
        return None
    if isinstance(sector, bool) or not isinstance(sector, numbers.Real) or \
            not np.isfinite(sector) or sector != int(sector):
        raise ValueError(f"sector must be an integer q = m - m' with |q| <= N, "
                         f"got {sector!r}")
    sector = int(sector)
    if abs(sector) > model.N:
        raise ValueError(f"sector q={sector} does not exist for N={model.N} "
                         f"(|q| <= {model.N})")
    if not model.conserves_excitations():
        raise ValueError("sector: the model does not conserve q = m - m' (its terms "
                         "mix the sectors); omit the sector")
    return sector


# ------------------------------------------------------------------ helpers
def _blocks_of(layout, x):
    """PIState (no density-matrix checks) holding the vector x on ``layout``."""
    r = np.rint(layout.j - layout.m).astype(np.int64)
    c = np.rint(layout.j - layout.mp).astype(np.int64)
    blocks = [np.zeros((int(round(2 * j)) + 1,) * 2, complex) for j in layout.js]
    for blk, sel in zip(blocks, layout.j_groups()):
        blk[r[sel], c[sel]] = x[sel]
    return PIState(layout.N, blocks)


def _dense(space, nev, target, zero_abs, slowest=False):
    w, V = np.linalg.eig(space.A.toarray())
    if space.deflate is not None:  # exactly one zero: the eigenvalue nearest 0
        iz = [int(np.argmin(np.abs(w)))]
    else:
        iz = list(np.flatnonzero(np.abs(w) <= zero_abs))
    keep = np.setdiff1d(np.arange(w.size), iz)
    key = -w[keep].real if slowest else np.abs(w[keep] - target)
    order = keep[np.argsort(key, kind="stable")][:nev + 2]
    zeros = [] if space.deflate is not None else [(complex(w[i]), V[:, i]) for i in iz]
    return w[order], V[:, order], zeros, {}


def _arnoldi(space, nev, target, zero_abs, opts):
    A = space.A
    n = A.shape[0]
    deflate = space.deflate
    if deflate is not None:
        k0, rho, diag = deflate
        shift = 0.0
        system = pin(A, k0)
    else:
        # at a zero target without deflation: a tiny positive shift keeps
        # L - shift regular (every eigenvalue has Re <= 0)
        shift = target if target != 0 else 1e-6 * operator_norm(A)
        if np.iscomplexobj(shift) and shift.imag == 0:
            shift = shift.real
        dtype = np.result_type(A.dtype, np.asarray(shift).dtype)
        system = (A.astype(dtype) - shift * sp.identity(n, dtype=dtype, format="csr"))
    system = system.tocsr()
    if space.solver == "gmres":
        solver = space.gmres(system, shift, deflate)
    elif deflate is not None and getattr(space, "pinned_solver", None) is not None:
        solver = space.pinned_solver  # the LU that found the steady state
    else:
        solver = DirectSolver(system, space.grid)
    op = solver if deflate is None else Deflated(solver, k0, rho, diag)
    want = nev + (0 if deflate is not None else space.zeros_expected) + 2
    rng = np.random.default_rng(12345)
    while True:
        want = min(want, n - 2)
        v0 = rng.standard_normal(n).astype(system.dtype)
        tol = opts["arpack_tol"]
        if tol is None:
            tol = 1e-10 if space.solver == "gmres" else 1e-12
        mu, vecs = arnoldi(op, n, system.dtype, want, ncv=opts["ncv"], v0=v0,
                           tol=tol, **opts.get("_arpack", {}))
        good = np.abs(mu) > 0
        lam = shift + 1.0 / mu[good]
        vecs = vecs[:, good]
        if deflate is not None:
            zeros, keep = [], np.ones(lam.size, bool)
        else:
            isz = np.abs(lam) <= zero_abs
            zeros = [(complex(lam[i]), vecs[:, i]) for i in np.flatnonzero(isz)]
            keep = ~isz
        if keep.sum() >= nev + 2 or want >= n - 2:
            break
        want = 2 * want
    lam, vecs = lam[keep], vecs[:, keep]
    order = np.argsort(np.abs(lam - target), kind="stable")[:nev + 2]
    stats = {"solves": solver.solves, "linear_solver": solver.method, "nev": int(want)}
    if solver.iterations is not None:
        stats["gmres_iterations"] = solver.iterations
        stats["gmres_worst_residual"] = solver.worst
    return lam[order], vecs[:, order], zeros, stats


def _solve_space(space, nev, target, opts):
    """Eigenpairs of one space: [(lambda, residual, x, space, mirrored)], zeros."""
    n = space.A.shape[0]
    zero_abs = opts["zero_tol"] * operator_norm(space.A)
    extra = 0 if space.deflate is not None else space.zeros_expected
    slowest = opts["which"] == "slowest"
    if n <= opts["dense_max"] or nev + extra + 4 >= n - 1:
        lam, vecs, zeros, stats = _dense(space, nev, target, zero_abs, slowest)
        stats["eigensolver"] = "dense"
    elif slowest:
        try:
            lam, vecs, zeros, stats = slowest_pairs(space, nev, zero_abs, opts)
            stats["eigensolver"] = "propagator"
        except spl.ArpackNoConvergence:
            if n > DENSE_FALLBACK:
                raise
            lam, vecs, zeros, stats = _dense(space, nev, target, zero_abs, slowest)
            stats["eigensolver"] = "dense"
    elif n <= DENSE_FALLBACK:
        # small: give ARPACK a short budget, and diagonalize densely if the
        # wanted eigenvalues are too clustered for it
        try:
            lam, vecs, zeros, stats = _arnoldi(
                space, nev, target, zero_abs,
                {**opts, "_arpack": {"maxiter": 100, "attempts": 1}})
            stats["eigensolver"] = "arnoldi"
        except spl.ArpackNoConvergence:
            lam, vecs, zeros, stats = _dense(space, nev, target, zero_abs)
            stats["eigensolver"] = "dense"
    else:
        lam, vecs, zeros, stats = _arnoldi(space, nev, target, zero_abs, opts)
        stats["eigensolver"] = "arnoldi"
    if space.sector is not None:
        stats["sector"] = space.sector
    A = space.A
    out = []
    for i, z in enumerate(lam):
        w = vecs[:, i]
        x = space.to_full(w)
        r = space.to_full(A @ w - z * w)
        nx = np.linalg.norm(x)
        out.append((complex(z), float(np.linalg.norm(r) / nx), x / nx, space, False))
        if space.mirror:
            out.append((complex(np.conj(z)), out[-1][1], x / nx, space, True))
    zero_out = []
    for z, w in zeros:
        x = space.to_full(w)
        r = space.to_full(A @ w - z * w)
        zero_out.append((z, float(np.linalg.norm(r) / np.linalg.norm(x))))
        if space.mirror:
            zero_out.append((np.conj(z), zero_out[-1][1]))
    if space.deflate is not None:  # the steady state's eigenvalue, as computed
        rho = space.deflate[1]
        x = space.to_full(rho)
        Lx = space.to_full(A @ rho)
        zero_out.append((complex(np.vdot(x, Lx) / np.vdot(x, x)),
                         float(np.linalg.norm(Lx) / np.linalg.norm(x))))
    return out, zero_out, stats


# ------------------------------------------------------------------ entry point
def spectrum(model, k=6, sigma=None, options=None, *, sector=None, which=None):
    """The k eigenvalues of the reduced Liouvillian nearest ``sigma``, or the k
    slowest (``which="slowest"``).

    Parameters
    ----------
    model : PIModel
        Any permutation-invariant model (e.g. :class:`qutip_mmi.LMG`).
    k : int
        Number of eigenvalues (k + 1 when the k-th has an equally near complex
        conjugate: pairs are kept whole).
    sigma : complex, optional
        Shift. Default: nearest zero, without the steady state's eigenvalue 0
        (reported as ``zero_eigenvalue``).
    which : {"nearest", "slowest"}, optional
        "nearest" (default): the k eigenvalues nearest ``sigma``. "slowest":
        the k of largest real part (the slowest modes; ``gap`` is then the
        Liouvillian gap), zeros excluded; ``sigma`` must be None. Same as
        ``options["which"]``.
    options : dict, optional
        ``eigenvectors`` (False), ``sector`` (one q sector of a q-conserving
        model), ``which`` ("nearest"), ``solver`` ("auto"; for "nearest":
        "direct" or "gmres", the shift-invert solves; "slowest" always uses
        "propagator", Arnoldi on exp(tau L) by Chebyshev series, see
        :mod:`qutip_mmi._spectrum_propagator`), ``direct_max``
        (60 000 unknowns), ``dense_max`` (200), ``gmres_tol`` (1e-10),
        ``arpack_tol`` (1e-12 with the direct LU, 1e-10 with GMRES and the
        propagator), ``ncv``,
        ``zero_tol`` (1e-9, relative to ||L||),
        ``blas_threads`` (1), ``threads`` ("auto": two for the propagator's
        products on a machine with two cores or more), ``force_memory``,
        ``progress_bar``.
    sector : int, optional
        Same as ``options["sector"]``.

    Returns
    -------
    SpectrumResult

    Examples
    --------
    >>> from qutip_mmi import LMG, spectrum
    >>> res = spectrum(LMG(8, field=0.5, Gamma=2.0), k=4)
    >>> res.eigenvalues.size, res.num_zero
    (4, 1)
    >>> bool(abs(res.zero_eigenvalue) < 1e-12), bool(res.residuals.max() < 1e-10)
    (True, True)
    """
    from .models import PIModel
    t0 = time.perf_counter()
    if not isinstance(model, PIModel):
        raise TypeError(f"model must be a PIModel (e.g. qutip_mmi.LMG), got "
                        f"{type(model).__name__}")
    opts = check_options(options, DEFAULTS, "spectrum")
    k = _check_k(k)
    if sector is not None and opts["sector"] is not None and sector != opts["sector"]:
        raise ValueError("sector given both as a keyword and in options, with "
                         "different values")
    sector = _check_sector(sector if sector is not None else opts["sector"], model)
    if which is not None and which != opts["which"] and options and "which" in options:
        raise ValueError("which given both as a keyword and in options, with "
                         "different values")
    opts["which"] = which = which if which is not None else opts["which"]
    if which not in ("nearest", "slowest"):
        raise ValueError(f"which must be 'nearest' or 'slowest', got {which!r}")
    if sigma is not None:
        sigma = check_complex("sigma", sigma)
        if which == "slowest":
            raise ValueError("sigma: which='slowest' takes no shift (it returns the "
                             "eigenvalues of largest real part)")
    if opts["solver"] not in ("auto", "direct", "gmres", "propagator"):
        raise ValueError(f"options['solver'] must be 'auto', 'direct', 'gmres' or "
                         f"'propagator', got {opts['solver']!r}")
    if (opts["solver"] == "propagator") != (which == "slowest") and opts["solver"] != "auto":
        raise ValueError(f"options['solver']={opts['solver']!r} does not go with "
                         f"which={which!r}: the propagator finds the slowest "
                         f"eigenvalues, the shift-invert solvers those nearest a shift")
    target = 0j if sigma is None else sigma
    found, zeros, per_space = [], [], []
    with limit_blas_threads(opts["blas_threads"]):
        thunks, n_space, facts = build_spaces(model, sector, sigma, opts)
        n_max = n_space - (0 if sector not in (None, 0) else 1)
        if k > n_max:
            zero = "" if n_max == n_space else ", one of them the steady state's 0"
            raise ValueError(f"k={k} is larger than the space allows: the operator has "
                             f"{n_space} eigenvalues{zero} (k <= {n_max})")
        bar = make_progress_bar(opts["progress_bar"], len(thunks))
        for make in thunks:
            bar.update()
            space = make()
            nev = min(k, space.A.shape[0] - (1 if space.deflate is not None else 0))
            if nev < 1:
                continue
            pairs, zs, stats = _solve_space(space, nev, target, opts)
            per_space.append(stats)
            found.extend(pairs)
            zeros.extend(zs)
        bar.finished()
    chosen = _select(found, k, target, target.imag == 0, which == "slowest")
    if not chosen:
        raise ValueError(f"k={k}: the operator has no eigenvalue besides its "
                         f"{len(zeros)} zero(s)")
    order = sorted(chosen, key=lambda i: (-found[i][0].real, -found[i][0].imag))
    sectors = None
    if facts["by_sector"]:
        sectors = [(-1 if found[i][4] else 1) * found[i][3].sector for i in order]
    eigenvectors = None
    if opts["eigenvectors"]:
        eigenvectors = []
        for i in order:
            z, res, x, space, mirrored = found[i]
            state = _blocks_of(space.layout, x)
            if mirrored:  # the conjugate transpose: the eigenvector of conj(lambda)
                state = PIState(model.N, [b.conj().T for b in state.blocks])
            eigenvectors.append(state)
    zero_eig = zero_res = None
    if zeros:
        z0 = min(zeros, key=lambda t: abs(t[0]))
        zero_eig, zero_res = complex(z0[0]), float(z0[1])
    kinds = sorted({(st["eigensolver"], st.get("linear_solver")) for st in per_space})
    method = "; ".join("dense eig" if e == "dense" else
                       "Arnoldi on exp(tau L) (Chebyshev series)" if e == "propagator"
                       else f"shift-invert Arnoldi ({s})" for e, s in kinds)
    if facts["deflated"]:
        method += "; steady state deflated"
    info = {"unknowns": int(n_space), "spaces": len(per_space),
            "solves": int(sum(st.get("solves", 0) for st in per_space)),
            "products": int(sum(st.get("products", 0) for st in per_space)),
            "deflated": facts["deflated"], "which": which}
    its = [st["gmres_iterations"] for st in per_space if "gmres_iterations" in st]
    if its:
        info["gmres_iterations"] = int(sum(its))
        info["gmres_worst_residual"] = max(st["gmres_worst_residual"] for st in per_space
                                           if "gmres_worst_residual" in st)
    return SpectrumResult(model.N, [found[i][0] for i in order], sectors,
                          [found[i][1] for i in order], zero_eig, zero_res, len(zeros),
                          sigma, method, time.perf_counter() - t0, eigenvectors, info)


def _select(found, k, target, real_shift, slowest=False):
    """Indices of the k entries nearest ``target`` (or of largest real part),
    conjugate pairs kept whole."""
    if not found:
        return []
    z = np.array([f[0] for f in found])
    order = np.argsort(-z.real if slowest else np.abs(z - target), kind="stable")
    chosen = list(order[:k])
    if real_shift:
        taken = set(chosen)
        for i in list(chosen):
            if abs(z[i].imag) <= 1e-12 * max(abs(z[i]), 1.0):
                continue
            partner = np.flatnonzero(np.abs(z - np.conj(z[i])) <= 1e-9 * max(abs(z[i]), 1))
            partner = [p for p in partner if p != i]
            if partner and not (set(partner) & taken):
                chosen.append(partner[0])
                taken.add(partner[0])
    return chosen
