"""
Information measures of permutation-invariant states: the adapters.

Each function accepts a :class:`~qutip_mmi.PIState`, a :mod:`qutip.piqs`
Dicke-basis density matrix (``Qobj``), or a full 2^N density matrix of N qubits
(``Qobj`` with dims ``[[2]*N, [2]*N]``). For the first two the block formula
(eq. 26) is used, with ln dim_J from log-gamma; for the last everything is
computed directly (full spectrum, partial traces): the exact route.

Conventions: natural logarithms; m_a = (2/N) <J_a> = <sigma_a> of one unit;
``0 ln 0 = 0``. Eigenvalues below zero by less than ``tol`` (relative to the
trace) are round-off and are clipped; more negative ones raise ``ValueError``.

Inputs are checked, never normalized silently: a state must be finite,
Hermitian and of trace one within :data:`DENSITY_TOL` (``ValueError``
otherwise, naming the defect); an explicit ``N`` that contradicts the state is
an error.
"""

from __future__ import annotations

import numpy as np
import qutip

from ._validation import check_N
from .dicke import log_dim_j, n_from_num_dicke_states
from .state import NEGATIVE_TOL, PIState

__all__ = [
    "entropy",
    "magnetization",
    "local_state",
    "local_entropy",
    "mutual_information",
    "binary_entropy",
    "von_neumann",
    "DENSITY_TOL",
]

#: Accepted |Tr rho - 1| and Hermiticity defect max|rho - rho^dag| of an input.
# (qutip.piqs computes its rates in float32: qutip.steadystate on its Liouvillian
# returns traces off by up to ~1e-7, which must be accepted)
DENSITY_TOL = 1e-6


# ------------------------------------------------------------------ helpers
def von_neumann(eigenvalues, tol=NEGATIVE_TOL, scale=1.0) -> float:
    """-sum x ln x over eigenvalues, with 0 ln 0 = 0.

    Values in [-tol*scale, 0) are clipped to zero; below that ``ValueError``.
    """
    x = np.asarray(eigenvalues, dtype=float).ravel()
    if x.size and x.min() < -tol * scale:
        raise ValueError(
            f"eigenvalue {x.min():.3g} is negative beyond the round-off tolerance "
            f"{tol:.1e}: not a valid density matrix")
    x = x[x > 0]
    return float(-(x * np.log(x)).sum())


def binary_entropy(r):
    """b(r) = S of a qubit with Bloch-vector length r (vectorized)."""
    r = np.clip(np.abs(np.asarray(r, dtype=float)), 0.0, 1.0)
    out = np.zeros_like(r)
    for s in (1.0, -1.0):
        p = (1 + s * r) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            out -= np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return out if out.ndim else float(out)


def _classify(rho, N=None):
    """("pi", PIState) or ("full", ndarray, N), after :func:`_check_density`."""
    if N is not None:
        N = check_N(N)
    if isinstance(rho, PIState):
        if N is not None and N != rho.N:
            raise ValueError(f"N={N} contradicts the state, which has N={rho.N}")
        return _check_density("pi", rho)
    if not isinstance(rho, qutip.Qobj):
        raise TypeError("expected a PIState or a qutip.Qobj density matrix, "
                        f"got {type(rho).__name__}")
    if not rho.isoper or rho.shape[0] != rho.shape[1]:
        raise ValueError(f"rho must be a square density matrix, got shape {rho.shape}")
    dims = rho.dims[0]
    if len(dims) >= 1 and all(d == 2 for d in dims) and rho.dims[1] == dims:
        if N is not None and N != len(dims):
            raise ValueError(f"N={N} contradicts the state, a state of {len(dims)} "
                             "qubits")
        return _check_density("full", rho.full(), len(dims))
    if len(dims) == 1:
        n = n_from_num_dicke_states(rho.shape[0]) if N is None else N
        if n is not None:
            return _check_density("pi", PIState.from_qobj(rho, N=n))
    raise ValueError(
        f"rho has dims {rho.dims} (shape {rho.shape}): neither a piqs Dicke-basis "
        "matrix (shape sum_J (2J+1)) nor a state of N qubits (dims [[2]*N, [2]*N])")


def _check_density(kind, *data):
    """Refuse inputs that are not density matrices (trace one, Hermitian, finite)."""
    if kind == "full":
        mat = data[0]
        if not np.all(np.isfinite(mat)):
            raise ValueError("rho contains NaN or inf")
        trace = np.trace(mat)
        herm = float(np.abs(mat - mat.conj().T).max())
    else:
        state = data[0]
        trace = state.populations.sum()
        herm = max(0.0 if b.ndim == 1 else float(np.abs(b - b.conj().T).max())
                   for b in state.blocks)
    if herm > DENSITY_TOL:
        raise ValueError(f"rho is not Hermitian (max|rho - rho^dag| = {herm:.3g} > "
                         f"{DENSITY_TOL:g})")
    if abs(trace - 1) > DENSITY_TOL:
        raise ValueError(f"rho has trace {complex(trace).real:.12g}, not 1 (within "
                         f"{DENSITY_TOL:g}): normalize it first (rho / rho.tr())")
    return (kind, *data)


def _full_single_site(mat, N):
    """The N one-qubit reduced states of a full 2^N density matrix."""
    t = mat.reshape([2] * (2 * N))
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
    out = []
    for i in range(N):
        row = list(letters[:N])
        col = row.copy()  # traced indices are shared between bra and ket
        row[i], col[i] = "Y", "Z"
        out.append(np.einsum("".join(row) + "".join(col) + "->YZ", t))
    return out


_PAULI = (np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]]),
          np.array([[1, 0], [0, -1]], complex))


# --------------------------------------------------------------- measures
def magnetization(rho, N=None) -> np.ndarray:
    """(mx, my, mz) with m_a = (2/N) <J_a> (eq. 28).

    Examples
    --------
    >>> from qutip import piqs
    >>> magnetization(piqs.dicke(4, 2, 2))
    array([0., 0., 1.])
    """
    kind, *data = _classify(rho, N)
    if kind == "full":
        mat, n = data
        sites = _full_single_site(mat, n)
        return np.array([np.mean([np.trace(r @ s).real for r in sites]) for s in _PAULI])
    state = data[0]
    jz = jp = 0.0
    for j, b in zip(state.j, state.blocks):
        m = j - np.arange(len(b))
        if b.ndim == 1:
            jz += float(np.dot(m, b))
            continue
        jz += float(np.dot(m, np.diag(b).real))
        # Tr(rho J+) = sum_i rho[i, i-1] <m_{i-1}| J+ |m_i>
        amp = np.sqrt(np.maximum(j * (j + 1) - m[1:] * (m[1:] + 1), 0.0))
        jp += complex(np.dot(np.diagonal(b, -1), amp))
    jp = complex(jp)
    return (2.0 / state.N) * np.array([jp.real, jp.imag, jz])


def local_state(rho, N=None) -> qutip.Qobj:
    """The one-unit reduced state rho_1 = (1 + m . sigma)/2 as a 2x2 ``Qobj``.

    For a full 2^N state this is the average of the N single-qubit reductions
    (all equal for a permutation-invariant state).
    """
    kind, *data = _classify(rho, N)
    if kind == "full":
        mat, n = data
        return qutip.Qobj(np.mean(_full_single_site(mat, n), axis=0))
    m = magnetization(data[0])
    return qutip.Qobj(0.5 * (np.eye(2) + sum(a * s for a, s in zip(m, _PAULI))))


def local_entropy(rho, N=None) -> float:
    """S(rho_1) of one unit (for a full state: the mean over units)."""
    kind, *data = _classify(rho, N)
    if kind == "full":
        mat, n = data
        return float(np.mean([von_neumann(np.linalg.eigvalsh(r))
                              for r in _full_single_site(mat, n)]))
    return binary_entropy(np.linalg.norm(magnetization(data[0])))


def entropy(rho, N=None, tol=NEGATIVE_TOL) -> float:
    """S(rho_T), the von Neumann entropy of the whole N-unit state.

    For J blocks, eq. (26): ``sum_J p_J [-ln p_J + S(rho_J/p_J) + ln dim_J]``,
    written as ``sum_J [S_unnormalized(rho_J) + p_J ln dim_J]``.

    Examples
    --------
    >>> from qutip import piqs
    >>> round(entropy(piqs.dicke(2, 0, 0)), 12)   # the singlet: pure
    0.0
    """
    kind, *data = _classify(rho, N)
    if kind == "full":
        mat = data[0]
        tr = np.trace(mat).real
        return von_neumann(np.linalg.eigvalsh(0.5 * (mat + mat.conj().T)), tol, abs(tr))
    state = data[0]
    logdim = log_dim_j(state.N)
    total = 0.0
    trace = state.populations.sum()
    for eig, p, ld in zip(state.block_eigenvalues(), state.populations, logdim):
        total += von_neumann(eig, tol, abs(trace))
        if p > 0:
            total += p * ld
    return float(total)


def mutual_information(rho, per_unit=False, N=None, tol=NEGATIVE_TOL) -> float:
    """Multipartite mutual information I_M = sum_i S(rho_i) - S(rho_T) (eq. 7).

    Parameters
    ----------
    rho : PIState or Qobj
        Dicke-basis state, PIState or full 2^N state.
    per_unit : bool
        Return I_M / N.

    Examples
    --------
    >>> import numpy as np, qutip
    >>> ghz = (qutip.tensor([qutip.basis(2, 0)] * 3) + qutip.tensor([qutip.basis(2, 1)] * 3)).unit()
    >>> bool(np.isclose(mutual_information(ghz.proj()), 3 * np.log(2)))
    True
    """
    if not isinstance(per_unit, (bool, np.bool_)):
        raise TypeError(f"per_unit must be a bool, got {per_unit!r}")
    kind, *data = _classify(rho, N)
    if kind == "full":
        mat, n = data
        local = sum(von_neumann(np.linalg.eigvalsh(r)) for r in _full_single_site(mat, n))
        value = local - entropy(rho, tol=tol)
    else:
        n = data[0].N
        value = n * local_entropy(data[0]) - entropy(data[0], tol=tol)
    return value / n if per_unit else value
