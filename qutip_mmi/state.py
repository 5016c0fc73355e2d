"""
:class:`PIState`: a permutation-invariant state of N spin-1/2 units as its J blocks.
"""

from __future__ import annotations

import numpy as np
import qutip

from .dicke import (block_sizes, j_values, log_dim_j, n_from_num_dicke_states,
                    num_dicke_states)
from ._validation import check_N

__all__ = ["PIState", "StateCheck"]

#: Default tolerance (relative to the trace) for negative eigenvalues that are
#: treated as round-off and clipped to zero.
NEGATIVE_TOL = 1e-9


class StateCheck:
    """Validity diagnostics of a :class:`PIState`.

    Attributes
    ----------
    trace : float
        sum_J Tr rho_J (should be 1).
    hermiticity : float
        max_J ||rho_J - rho_J^dag||_max.
    min_eigenvalue : float
        Smallest eigenvalue over all blocks (negative values are round-off or
        an invalid state).
    """

    def __init__(self, trace, hermiticity, min_eigenvalue):
        self.trace = float(trace)
        self.hermiticity = float(hermiticity)
        self.min_eigenvalue = float(min_eigenvalue)

    def as_dict(self) -> dict:
        """JSON-safe: trace, hermiticity, min_eigenvalue."""
        return {"trace": self.trace, "hermiticity": self.hermiticity,
                "min_eigenvalue": self.min_eigenvalue}

    def ok(self, tol=NEGATIVE_TOL) -> bool:
        return (abs(self.trace - 1) <= tol and self.hermiticity <= tol
                and self.min_eigenvalue >= -tol)

    def __repr__(self):
        return (f"StateCheck(trace={self.trace:.15g}, hermiticity={self.hermiticity:.3g}, "
                f"min_eigenvalue={self.min_eigenvalue:.3g})")


class PIState:
    """Permutation-invariant state: N and one (2J+1)x(2J+1) block per J (eq. 19).

    ``rho_T = (+)_J rho_J (x) 1_{dim_J} / dim_J``; block ``k`` belongs to
    ``J = j_values(N)[k]`` (descending from N/2) and uses the basis
    m = J, ..., -J, as :mod:`qutip.piqs`. ``sum_J Tr rho_J = 1``.

    Parameters
    ----------
    N : int
        Number of units.
    blocks : sequence of arrays
        rho_J for every J of :func:`qutip_mmi.dicke.j_values`: a 2-D array, or a
        1-D array for a block that is diagonal (the rate-equation route stores
        only p_{J,m}, which keeps N in the thousands within memory).
    info : object, optional
        Diagnostics of the route that produced the state (steady-state solvers
        attach a :class:`qutip_mmi.steadystate.SolverInfo`).

    Examples
    --------
    >>> import qutip
    >>> from qutip import piqs
    >>> rho = piqs.dicke(4, 2, 2)           # |J=2, m=2><J=2, m=2|
    >>> PIState.from_qobj(rho).populations  # doctest: +NORMALIZE_WHITESPACE
    array([1., 0., 0.])
    """

    def __init__(self, N, blocks, info=None):
        self.N = check_N(N)
        self.j = j_values(self.N)
        sizes = block_sizes(self.N)
        blocks = [np.asarray(b) for b in blocks]
        if len(blocks) != len(sizes):
            raise ValueError(f"N={self.N} needs {len(sizes)} blocks, got {len(blocks)}")
        for k, (b, d, j) in enumerate(zip(blocks, sizes, self.j)):
            if b.shape not in ((d, d), (d,)):
                raise ValueError(f"block J={j} must be {d}x{d} (or its diagonal), "
                                 f"got shape {b.shape}")
            blocks[k] = b.real.astype(float) if b.ndim == 1 else b.astype(complex)
            if not np.all(np.isfinite(b)):
                raise ValueError(f"block J={j} contains NaN or inf")
        self.blocks = blocks
        self.info = info

    # ---------------------------------------------------------- conversion
    @classmethod
    def from_qobj(cls, rho, N=None, atol=1e-10):
        """From a piqs Dicke-basis density matrix (Qobj or array).

        ``N`` is inferred from the shape (piqs's dims do not record it). Weight
        between different J blocks, which a permutation-invariant state cannot
        have, raises if larger than ``atol``.
        """
        mat = rho.full() if isinstance(rho, qutip.Qobj) else np.asarray(rho)
        if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
            raise ValueError(f"rho must be a square matrix, got shape {mat.shape}")
        nds = mat.shape[0]
        if N is None:
            N = n_from_num_dicke_states(nds)
            if N is None:
                raise ValueError(
                    f"rho has shape {mat.shape}, which is not a Dicke-basis shape "
                    "(sum_J (2J+1) for some N)")
        N = check_N(N)
        if num_dicke_states(N) != nds:
            raise ValueError(f"rho has shape {mat.shape}; N={N} needs "
                             f"{num_dicke_states(N)}x{num_dicke_states(N)}")
        sizes = block_sizes(N)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        blocks, inside = [], 0.0
        for a, b in zip(starts[:-1], starts[1:]):
            blocks.append(mat[a:b, a:b].copy())
            inside += np.abs(mat[a:b, a:b]).sum()
        outside = np.abs(mat).sum() - inside
        if outside > atol * max(1.0, np.abs(mat).sum()):
            raise ValueError(f"rho has weight {outside:.3g} between different J blocks; "
                             "not a permutation-invariant Dicke-basis state")
        return cls(N, blocks)

    def to_qobj(self) -> qutip.Qobj:
        """The piqs Dicke-basis density matrix (block diagonal)."""
        from scipy.linalg import block_diag
        return qutip.Qobj(block_diag(*[self.block(k) for k in range(len(self.blocks))]))

    def block(self, k) -> np.ndarray:
        """Block ``k`` as a dense (2J+1)x(2J+1) matrix."""
        b = self.blocks[k]
        return np.diag(b).astype(complex) if b.ndim == 1 else b

    @property
    def is_diagonal(self) -> bool:
        """True if every block is stored as its diagonal."""
        return all(b.ndim == 1 for b in self.blocks)

    @classmethod
    def from_vector(cls, N, vec, info=None):
        """From the reduced vector of all rho_{J,m,m'} (see :mod:`qutip_mmi.dicke`)."""
        sizes = block_sizes(N)
        offsets = np.concatenate([[0], np.cumsum(sizes ** 2)])
        vec = np.asarray(vec)
        if vec.shape != (offsets[-1],):
            raise ValueError(f"vector of N={N} must have length {offsets[-1]}")
        return cls(N, [vec[a:b].reshape(d, d) for a, b, d in
                       zip(offsets[:-1], offsets[1:], sizes)], info=info)

    def to_vector(self) -> np.ndarray:
        return np.concatenate([self.block(k).ravel() for k in range(len(self.blocks))])

    # ---------------------------------------------------------- properties
    @property
    def populations(self) -> np.ndarray:
        """p_J = Tr rho_J for each J (descending J)."""
        return np.array([(b.sum() if b.ndim == 1 else np.trace(b)).real
                         for b in self.blocks])

    @property
    def log_dims(self) -> np.ndarray:
        return log_dim_j(self.N)

    def block_eigenvalues(self):
        """Eigenvalues of every block (list of arrays, ascending)."""
        return [np.sort(b) if b.ndim == 1 else np.linalg.eigvalsh(0.5 * (b + b.conj().T))
                for b in self.blocks]

    def check(self, eigenvalues=None) -> StateCheck:
        """Trace, Hermiticity and the smallest eigenvalue (``eigenvalues``: those
        of :meth:`block_eigenvalues`, if already computed)."""
        herm = max(0.0 if b.ndim == 1 else np.abs(b - b.conj().T).max()
                   for b in self.blocks)
        eigenvalues = self.block_eigenvalues() if eigenvalues is None else eigenvalues
        mineig = min(e[0] for e in eigenvalues)
        return StateCheck(self.populations.sum(), herm, mineig)

    def __repr__(self):
        p = self.populations
        return (f"PIState(N={self.N}, blocks={len(self.blocks)}, trace={p.sum():.12g}, "
                f"largest p_J={p.max():.4g} at J={self.j[p.argmax()]})")
