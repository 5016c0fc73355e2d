"""
Slowest eigenvalues of the reduced Liouvillian by Arnoldi on exp(tau L) (private).

The eigenvalues of largest real part (the slowest modes, which set the gap and
the relaxation times) are the largest in modulus of the propagator exp(tau L).
ARPACK finds them with products exp(tau L) x only, each a Chebyshev series
(:class:`qutip_mmi._chebyshev.ChebyshevPropagator`: ~tau times the spectrum's
imaginary extent of products with L, no linear solve). The eigenvalues are then
taken from a Rayleigh-Ritz step with L itself on the span of ARPACK's vectors, so
that exp(tau lambda) never has to be inverted (no ambiguity of Im lambda modulo
2 pi / tau) and each pair comes with its residual ||L v - lambda v||.

A shift-invert solve at sigma = 0 needs a factorization or a preconditioned
iteration of L, which is singular and stiff; the propagator needs neither,
which is what makes it the faster route for large spaces (benchmarks/RESULTS.md).
It does not replace shift-invert for "the k nearest 0": that set can hold
eigenvalues far left of many slower, fast-oscillating ones (tried: at N = 100
it needed the 25 slowest and was slower than GMRES shift-invert).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spl

from ._chebyshev import ChebyshevPropagator, resolve_threads
from ._spectrum_ops import arnoldi, operator_norm

__all__ = ["slowest_pairs", "TERMS_PER_PRODUCT", "KRYLOV_DIM"]

#: Chebyshev terms per product with exp(tau L): sets tau (larger tau separates
#: the slowest modes better and needs fewer ARPACK products, each dearer).
#: With KRYLOV_DIM below: the fewest products with L at N = 40-100 (RESULTS.md).
TERMS_PER_PRODUCT = 100
#: ARPACK's Krylov dimension by default (at least 2 want + 1): a long basis of
#: short products beat a short basis of long ones (fewer restarts).
KRYLOV_DIM = 40


def _tau(propagator):
    """tau with ~TERMS_PER_PRODUCT terms: tau b + 7 sqrt(tau a) = TERMS."""
    a, b = propagator.ellipse.semi_axes
    b = b * (1.3 if propagator.ellipse.imaginary else 1.0)
    # positive root of b x^2 + 7 sqrt(a) x - T = 0 with x = sqrt(tau)
    x = (-7 * np.sqrt(a) + np.sqrt(49 * a + 4 * b * TERMS_PER_PRODUCT)) / (2 * max(b, 1e-300))
    return float(x * x)


def slowest_pairs(space, nev, zero_abs, opts):
    """(lambda, vectors, zeros, stats): the nev + 2 eigenpairs of largest real part
    of ``space.A`` besides its zero eigenvalues, which are returned apart."""
    A = space.A
    n = A.shape[0]
    deflate = space.deflate
    # ARPACK's tolerance must stay above the products' own accuracy (rounding
    # in the Chebyshev sums, ~1e-13 relative at N = 200): 1e-10 by default
    tol = arpack_tol = opts["arpack_tol"] or 1e-10
    propagator = ChebyshevPropagator(A, atol=0.0, rtol=1e-3 * tol,
                                     threads=resolve_threads(opts["threads"]))
    # a pair is accepted when ||A v - lambda v|| <= tol ||A|| (|v| = 1): the
    # Rayleigh-Ritz step also returns pairs of directions ARPACK left unconverged
    # (and ARPACK's own test, relative to |exp(tau lambda)|, lets the eigenvector
    # of a clustered one carry errors that L amplifies); with fewer good pairs
    # than wanted ARPACK runs again for more
    norm = operator_norm(A)
    res_tol = tol * norm
    tau = _tau(propagator)
    dtype = np.result_type(A.dtype, float)

    # Arnoldi runs on the traceless operators, which exp(tau L) keeps (Tr L x = 0):
    # there the steady state's eigenvalue 1 is absent, so it neither crowds the
    # wanted exp(tau lambda) < 1 nor sets the scale of their rounding errors.
    trace = deflate[2] if deflate is not None else space.trace
    zeros = []
    if trace is not None:
        anchor = deflate[1] if deflate is not None else np.zeros(n, dtype)
        if deflate is None:
            anchor[trace] = 1.0 / len(trace)

    def project(y):
        if trace is not None:
            y = y - anchor * y[trace].sum()
        return y

    def op(x):
        out = []
        propagator.run(project(np.asarray(x, dtype)), [0.0, tau],
                       lambda k, y: out.append(y.copy()))
        return project(out[0])

    attempts = 0
    zeros_expected = 0 if deflate is not None else space.zeros_expected
    steady = trace is not None and deflate is None  # found after the others
    if steady:
        zeros_expected = max(zeros_expected - 1, 0)
    want = nev + zeros_expected + 2
    rng = np.random.default_rng(12345)
    while True:
        want = min(want, n - 2)
        v0 = project(rng.standard_normal(n).astype(dtype))
        ncv = opts["ncv"] or min(n, max(2 * want + 1, KRYLOV_DIM))
        try:
            mu, W = arnoldi(op, n, dtype, want, ncv=ncv, v0=v0, tol=arpack_tol,
                            maxiter=200, attempts=2)
        except spl.ArpackNoConvergence:
            # clustered |exp(tau lambda)|: once more at a 100x looser tolerance
            # (the Rayleigh-Ritz residuals below say what was reached)
            arpack_tol, res_tol = 100 * arpack_tol, 100 * res_tol
            mu, W = arnoldi(op, n, dtype, want, ncv=ncv, v0=v0, tol=arpack_tol,
                            maxiter=200, attempts=2)
        lam, vecs, res = _rayleigh_ritz(A, W)
        isz = (np.abs(lam) <= zero_abs) & (res <= res_tol)
        keep = ~isz & (res <= res_tol)
        if keep.sum() >= nev + 2 or attempts >= 8:
            break
        attempts += 1
        # found but not accurate enough (seen in small models with several
        # zeros): the Ritz vectors carry the products' errors divided by the
        # separation of the exp(tau lambda); a longer tau separates them more
        rough = ~isz & ~keep & (res <= 1e4 * res_tol)
        if (keep | rough).sum() >= nev + 2:
            tau *= 2.5
            continue
        # too few pairs: either exp(tau lambda) of the wanted ones sank below
        # ARPACK's resolution (tau too long for this spectrum) or more are needed
        mags = np.sort(np.abs(mu))[::-1]
        if mags[0] < 1e-3:  # even the slowest mode decays beyond resolution
            tau *= np.log(0.05) / np.log(max(mags[0], 1e-300))
        elif mags[min(nev + zeros_expected + 1, mu.size - 1)] < 1e-8 * mags[0]:
            tau /= 4
        elif want < n - 2:
            want = 2 * want
        else:
            break
    zeros += [(complex(lam[i]), vecs[:, i]) for i in np.flatnonzero(isz)]
    lam, vecs = lam[keep], vecs[:, keep]
    if steady:
        # power iteration from the uniform state: it converges like
        # exp(-t gap): one step of 32 / gap (e^-32 ~ 1e-14; the gap is known now)
        gap = -lam.real.max() if lam.size else 0.0
        step = tau if gap <= 0 else max(tau, min(32.0 / gap, 60 * tau))
        zeros.insert(0, _steady_by_power(propagator, anchor, trace, step, A,
                                         10 * tol * norm))
    propagator.close()
    order = np.argsort(-lam.real, kind="stable")[:nev + 2]
    stats = {"products": propagator.nmv, "tau": tau, "nev": int(want),
             "linear_solver": "none: Arnoldi on exp(tau L) by Chebyshev series"}
    return lam[order], vecs[:, order], zeros, stats


def _steady_by_power(propagator, x, trace, tau, A, bound, most=10):
    """(0 as computed, the steady state): power iteration of exp(tau L) from the
    uniform state until ||L rho|| <= bound ||rho|| (one product with L checks
    each step)."""
    for _ in range(most):
        out = []
        propagator.run(x, [0.0, tau], lambda k, y: out.append(y.copy()))
        x = out[0] / out[0][trace].sum()
        v = x / np.linalg.norm(x)
        Av = A @ v
        if np.linalg.norm(Av) <= bound:
            break
    return complex(np.vdot(v, Av)), v


def _rayleigh_ritz(A, W):
    """Eigenpairs of A projected on span(W), with relative residuals."""
    Q, _ = np.linalg.qr(W)
    lam, Y = np.linalg.eig(Q.conj().T @ (A @ Q))
    V = Q @ Y
    V /= np.linalg.norm(V, axis=0)
    res = np.linalg.norm(A @ V - V * lam, axis=0)
    return lam, V, res
