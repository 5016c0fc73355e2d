"""
The exact route: the model in the full 2^N space, for cross-validation only.

Operators are tensor products of single-spin matrices; no permutation symmetry
is used anywhere. The information functions of :mod:`qutip_mmi.information`
accept the returned 2^N density matrices directly.
"""

from __future__ import annotations

import time

import numpy as np
import qutip
import scipy.linalg
import scipy.sparse.linalg as spl

from ..dicke import j_values
from .._resources import limit_blas_threads
from .._validation import check_N, check_options
from ..state import PIState
from ._common import SteadyStateError, check_unique, finalize, finalize_full, \
    relative_residual
from ._pinning import pin_system

__all__ = ["MAX_N", "collective_operators", "liouvillian", "steady_state", "solve",
           "embed", "reduce"]

#: Options of :func:`steady_state` and :func:`solve`.
OPTIONS = {"tol": 1e-10, "steadystate": None, "blas_threads": 1, "force_memory": False}

#: Largest N accepted: the Liouvillian has 4^N x 4^N entries (4^10 ~ 1e6 rows).
MAX_N = 10


def _check(N):
    N = check_N(N)
    if N > MAX_N:
        raise ValueError(f"the exact 2^N route is limited to N <= {MAX_N} "
                         f"(got N={N}: a 4^{N} x 4^{N} Liouvillian)")
    return N


def _site(op, i, N):
    return qutip.tensor([op if k == i else qutip.qeye(2) for k in range(N)])


def collective_operators(N):
    """(Jx, Jy, Jz) = sum_i sigma_a^(i) / 2 on the 2^N space."""
    N = _check(N)
    ops = [qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()]
    return [0.5 * sum(_site(o, i, N) for i in range(N)) for o in ops]


def _operators(model):
    N = _check(model.N)
    jx, jy, jz = collective_operators(N)
    # the local jumps keep their identity part, so H is the model's own
    # (without the corrections that the reduced routes add instead)
    H = model.hamiltonian_operator(jx, jy, jz, corrections=False)
    if not isinstance(H, qutip.Qobj):  # no Hamiltonian terms
        H = 0 * jz
    c_ops = []
    for jump in model.local_jumps:
        parts = [(jump.plus, qutip.sigmap()), (jump.minus, qutip.sigmam()),
                 (jump.z, 0.5 * qutip.sigmaz()), (jump.identity, qutip.qeye(2))]
        op = sum(c * o for c, o in parts if c != 0)
        c_ops += [np.sqrt(jump.rate) * _site(op, i, N) for i in range(N)]
    for jump in model.collective:
        c_ops.append(np.sqrt(jump.rate / N) * jump.operator(jx, jy, jz))
    return H, c_ops


def liouvillian(model) -> qutip.Qobj:
    """The Liouvillian of ``model`` on the full 2^N space.

    Local jumps per spin: ``sqrt(emission) sigma_-``, ``sqrt(pumping) sigma_+``,
    ``sqrt(dephasing) sigma_z / 2`` (qutip.piqs conventions), and
    ``sqrt(rate) (a sigma_+ + b sigma_- + c sigma_z/2 + d)`` for every
    :class:`~qutip_mmi.LocalJump`; collective jumps ``sqrt(Gamma_m / N) L_m``.
    """
    H, c_ops = _operators(model)
    return qutip.liouvillian(H, c_ops)


def _lyapunov_preconditioner(H, c_ops):
    """y -> vec(X) solving A X + X A^dag = Y, A = -iH - sum c^dag c / 2.

    The no-jump part of the Liouvillian; one Schur decomposition, then a
    triangular Sylvester solve per application (O(4^N * 2^N)).
    """
    d = H.shape[0]
    A0 = -1j * H.full()
    for c in c_ops:
        A0 -= 0.5 * (c.dag() * c).full()
    T, U = scipy.linalg.schur(A0, output="complex")
    trsyl = scipy.linalg.get_lapack_funcs("trsyl", (T,))
    Uh = U.conj().T

    def apply(y):
        Y = np.asarray(y).reshape(d, d, order="F")
        X, scale, info = trsyl(T, T, Uh @ Y @ U, trana="N", tranb="C", isgn=1)
        if info < 0:
            raise SteadyStateError(f"trsyl failed (info={info})")
        return (U @ (X / scale) @ Uh).ravel(order="F")

    return spl.LinearOperator((d * d, d * d), apply, dtype=complex)


def steady_state(model, options=None) -> qutip.Qobj:
    """Full 2^N steady-state density matrix of ``model`` (``Qobj``).

    Solves the Liouvillian (with one diagonal element pinned) by GMRES,
    preconditioned with the inverse of the no-jump part ``A rho + rho A^dag``
    (a Lyapunov solve): N = 8 in seconds where a sparse LU of the 4^N system
    takes hours. The Liouvillian is divided by its norm first, so that the
    tolerances are relative to its scale (rates of 1e-8 or 1e4 alike).
    ``options={"steadystate": {...}}`` uses :func:`qutip.steadystate` with those
    keywords instead. The residual, trace, Hermiticity and positivity are
    checked against ``options["tol"]`` (default 1e-10); a state that fails
    raises :class:`~qutip_mmi.SteadyStateError`, as does a model whose steady
    state is not unique. The diagnostics are in ``rho.info`` (a dict).

    :func:`solve` gives the same state as a :class:`~qutip_mmi.PIState` (what
    ``steady_state(model, method="exact")`` returns).
    """
    opts = check_options(options, OPTIONS, "exact.steady_state")
    check_unique(model)
    t0 = time.perf_counter()
    H, c_ops = _operators(model)
    L = qutip.liouvillian(H, c_ops)
    Ld = L.data_as("csr_matrix")
    scale = float(abs(Ld).sum(axis=1).max())
    if scale > 0:  # L / scale has the same kernel; tolerances become relative
        H, c_ops = H / scale, [c / np.sqrt(scale) for c in c_ops]
        L, Ld = L / scale, Ld / scale
    d = H.shape[0]
    with limit_blas_threads(opts["blas_threads"]):
        if opts["steadystate"] is not None:
            try:
                rho = qutip.steadystate(L, **opts["steadystate"])
            except Exception as exc:
                raise SteadyStateError(f"exact route: qutip.steadystate failed: {exc}") \
                    from exc
            vec = rho.full().ravel(order="F")
        else:
            vec = _solve_gmres(Ld, _lyapunov_preconditioner(H, c_ops), d)
            mat = vec.reshape(d, d, order="F")
            mat = mat / np.trace(mat)
            vec = mat.ravel(order="F")
            rho = qutip.Qobj(mat, dims=[[2] * model.N, [2] * model.N])
    residual = relative_residual(Ld, vec)
    rho.info = finalize_full(rho, residual, time.perf_counter() - t0, opts["tol"])
    return rho


def solve(model, options=None) -> PIState:
    """The exact steady state as a :class:`~qutip_mmi.PIState` with ``info``.

    The 2^N state of :func:`steady_state`, projected on the Dicke blocks by
    :func:`reduce` (exact for a permutation-invariant state), with the same
    :class:`~qutip_mmi.SolverInfo` diagnostics as the other routes (its residual
    is that of the 2^N Liouvillian).
    """
    opts = check_options(options, OPTIONS, "steady_state(method='exact')")
    rho = steady_state(model, opts)
    state = reduce(rho)
    return finalize(state, "exact", rho.info["residual"], rho.info["seconds"],
                    opts["tol"], dimension=2 ** model.N)


def _solve_gmres(Ld, M, d):
    """Pinned GMRES solve; the pin moves to the largest population found.

    Pinning a population with no stationary weight (|0...0>, all spins up,
    under pure emission) makes the system singular: GMRES then fails, and the
    next candidate (all spins down, then the largest population of the last
    iterate) is tried.
    """
    tried, k0 = [], 0
    for candidate in (0, d * d - 1, None, None):
        if candidate is not None:
            k0 = candidate
        if k0 in tried:
            continue
        tried.append(k0)
        A = pin_system(Ld, k0)
        b = np.zeros(d * d, complex)
        b[k0] = 1.0
        x, info = spl.gmres(A, b, M=M, rtol=1e-13, atol=0.0, restart=200, maxiter=20)
        res = np.abs(A @ x - b).max() / max(np.abs(x).max(), 1e-300)
        converged = info == 0 or res <= 1e-12
        best = int(np.argmax(np.abs(x[:: d + 1]))) * (d + 1)
        if converged and abs(x[k0]) >= 1e-3 * abs(x[best]):
            return x
        k0 = best  # the next pass pins the largest population seen
    raise SteadyStateError(f"exact route: GMRES did not converge for any pinned "
                           f"population (residual {res:.2e}): is the steady state "
                           "unique?")


def embed(state: PIState) -> qutip.Qobj:
    """The 2^N density matrix of a :class:`PIState` (eq. 19, explicitly).

    Builds orthonormal bases |J, m, alpha> of every irreducible representation
    from the collective operators (highest weights: Jz = J with J^2 = J(J+1);
    lower states by J-), then ``rho = sum_J sum_alpha sum_mm' rho_J[m,m'] /dim_J
    |J,m,alpha><J,m',alpha|``. Independent of piqs; N <= MAX_N.
    """
    N = _check(state.N)
    rho = np.zeros((2 ** N, 2 ** N), complex)
    for k, basis in enumerate(_irrep_bases(N)):
        rho += np.einsum("iab,ac,jcb->ij", basis, state.block(k), basis.conj()) \
            / basis.shape[2]
    return qutip.Qobj(rho, dims=[[2] * N, [2] * N])


def _irrep_bases(N):
    """Per J (as :func:`j_values`): an array (2^N, 2J+1, dim_J) of orthonormal
    vectors |J, m, alpha>, built from the collective operators alone."""
    jx, jy, jz = collective_operators(N)
    jm = (jx - 1j * jy).full()
    jzd = np.diag(jz.full()).real
    j2 = (jx * jx + jy * jy + jz * jz).full()
    dim = 2 ** N
    out = []
    for J in j_values(N):
        # highest-weight states: Jz = J and J^2 = J(J+1) (kernel of J+ within Jz = J)
        sel = np.flatnonzero(np.isclose(jzd, J))
        w, v = np.linalg.eigh(j2[np.ix_(sel, sel)])
        top = v[:, np.isclose(w, J * (J + 1), atol=1e-8)]
        hw = np.zeros((dim, top.shape[1]), complex)
        hw[sel] = top
        vecs = [hw]
        for m in np.arange(J, -J, -1):  # lower: |m-1> = J-|m> / sqrt(J(J+1) - m(m-1))
            vecs.append(jm @ vecs[-1] / np.sqrt(J * (J + 1) - m * (m - 1)))
        out.append(np.stack(vecs, axis=1))
    return out


def reduce(rho, atol=1e-10) -> PIState:
    """The :class:`~qutip_mmi.PIState` of a permutation-invariant 2^N state.

    rho_J[m, m'] = sum_alpha <J,m,alpha| rho |J,m',alpha> (the inverse of
    :func:`embed`). Raises ``ValueError`` if ``rho`` is not permutation
    invariant (its embedding of the projection differs by more than ``atol``).
    """
    if not isinstance(rho, qutip.Qobj) or not rho.isoper:
        raise TypeError("rho must be a 2^N density-matrix Qobj")
    dims = rho.dims[0]
    if not dims or any(d != 2 for d in dims) or rho.dims[1] != dims:
        raise ValueError(f"rho must be a state of N qubits (dims [[2]*N, [2]*N]), "
                         f"got dims {rho.dims}")
    N = _check(len(dims))
    mat = rho.full()
    blocks = [np.einsum("iab,ij,jcb->ac", basis.conj(), mat, basis)
              for basis in _irrep_bases(N)]
    state = PIState(N, blocks)
    defect = float(np.abs(embed(state).full() - mat).max())
    if defect > atol * max(1.0, float(np.abs(mat).max())):
        raise ValueError(f"rho is not permutation invariant (it differs from its "
                         f"projection on the symmetric blocks by {defect:.2e})")
    return state
