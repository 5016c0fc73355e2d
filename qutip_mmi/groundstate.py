"""
Ground-state multipartite mutual information of the LMG Hamiltonian (Appendix B).

For ferromagnetic exchange (``exchange < 0``) the ground state of

    H = exchange (Jx^2 + Jy^2) / N + field Jx

lies in the symmetric sector J = N/2, where

    H_J = exchange (J(J+1) - Jz^2) / N + field Jx

is a real symmetric tridiagonal (N+1) x (N+1) matrix in the Dicke basis
m = J, J-1, ..., -J. Its lowest eigenpair is found with LAPACK's tridiagonal
bisection + inverse iteration (:func:`scipy.linalg.eigh_tridiagonal`), O(N) work
and memory, so N = 10^4 takes well under a second.

The ground state is pure, so S(rho_T) = 0 and ``I_M = N b(|m|)`` with
``m_a = 2 <g|J_a|g> / N`` (the local state of eq. 27).

Degeneracy. For ``field != 0`` every off-diagonal element of H_J is non-zero,
so its spectrum is simple and the ground state is unique (up to a sign). For
``field == 0`` H_J is diagonal: for ``exchange < 0`` and even N the ground
state is the Dicke state m = 0 (unique; I_M/N -> ln 2); for odd N the Dicke
states m = +1/2 and m = -1/2 are degenerate and this module returns the
**Dicke state m = +1/2** (of all degenerate Dicke states, the one with the
largest m). Both degenerate Dicke states have the same I_M. Note that the limit
field -> 0+ of the ground state for odd N is instead the superposition
(|+1/2> - |-1/2>)/sqrt(2), which has m_x = -(N+1)/(2N), a different I_M: the
field = 0 point is then discontinuous, as expected at a degeneracy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import eigh_tridiagonal

from .information import binary_entropy
from ._resources import check_memory
from ._validation import check_N, check_options, check_real

__all__ = ["ground_state_mmi", "ground_state_vector", "GroundStateResult"]


class GroundStateResult:
    """Ground state of the J = N/2 LMG Hamiltonian and its correlations.

    Attributes
    ----------
    N : int
        Number of spins.
    exchange, field : float
        Parameters of H_J = exchange (Jx^2 + Jy^2)/N + field Jx.
    energy : float
        Ground-state energy of H_J.
    magnetization : numpy.ndarray
        (mx, my, mz) = 2 <J_a> / N (my = 0: the Hamiltonian is real).
    mmi : float
        I_M = N b(|m|) (the state is pure, S(rho_T) = 0).
    mmi_per_unit : float
        I_M / N = b(|m|).
    gap : float
        Distance to the next level of H_J (0 at a degeneracy).
    vector : numpy.ndarray
        Amplitudes in the Dicke basis m = N/2, N/2 - 1, ..., -N/2 (real).
    """

    def __init__(self, N, exchange, field, energy, vector, gap):
        self.N = N
        self.exchange = exchange
        self.field = field
        self.energy = float(energy)
        self.vector = vector
        self.gap = float(gap)
        j = N / 2
        m = j - np.arange(N + 1)
        p = vector ** 2
        jz = float(np.dot(m, p))
        off = 0.5 * np.sqrt(np.maximum(j * (j + 1) - m[1:] * (m[1:] + 1), 0.0))
        jx = float(2.0 * np.dot(vector[:-1] * vector[1:], off))
        self.magnetization = np.array([2 * jx / N, 0.0, 2 * jz / N])
        self.mmi_per_unit = float(binary_entropy(min(np.linalg.norm(self.magnetization),
                                                     1.0)))
        self.mmi = N * self.mmi_per_unit

    @property
    def mx(self):
        return float(self.magnetization[0])

    @property
    def my(self):
        return float(self.magnetization[1])

    @property
    def mz(self):
        return float(self.magnetization[2])

    def as_dict(self) -> dict:
        """JSON-friendly summary (without the state vector)."""
        return {"N": self.N, "exchange": self.exchange, "field": self.field,
                "energy": self.energy, "gap": self.gap, "mmi": self.mmi,
                "mmi_per_unit": self.mmi_per_unit, "mx": self.mx, "my": self.my,
                "mz": self.mz}

    def __repr__(self):
        mx, my, mz = self.magnetization
        return (f"GroundStateResult(N={self.N}, exchange={self.exchange}, "
                f"field={self.field}, energy={self.energy:.10g}, "
                f"mmi_per_unit={self.mmi_per_unit:.10g}, "
                f"magnetization=({mx:.6g}, {my:.6g}, {mz:.6g}))")


def _tridiagonal(N, exchange, field):
    j = N / 2
    m = j - np.arange(N + 1)
    diag = exchange * (j * (j + 1) - m ** 2) / N
    # <m|Jx|m-1> = sqrt(j(j+1) - m(m-1)) / 2 between basis index i and i+1
    off = field * 0.5 * np.sqrt(np.maximum(j * (j + 1) - m[1:] * (m[1:] + 1), 0.0))
    return diag, off


def ground_state_vector(N, exchange, field):
    """(energy, vector, gap) of H_J in the Dicke basis m = N/2, ..., -N/2.

    See :func:`ground_state_mmi` for the parameters and the degeneracy rule.
    """
    N = check_N(N)
    exchange = check_real("exchange", exchange)
    field = check_real("field", field)
    diag, off = _tridiagonal(N, exchange, field)
    if field == 0.0:
        # diagonal: pick the lowest Dicke state, ties -> largest m (first index)
        order = np.lexsort((np.arange(N + 1), diag))
        k = int(order[0])
        vec = np.zeros(N + 1)
        vec[k] = 1.0
        rest = np.delete(diag, k)
        gap = float(rest.min() - diag[k]) if rest.size else math.inf
        return float(diag[k]), vec, gap
    # the two lowest levels (N >= 1 gives at least two): bisection + inverse iteration
    w, v = eigh_tridiagonal(diag, off, select="i", select_range=(0, 1))
    vec = v[:, 0]
    vec = vec / np.linalg.norm(vec)
    # fix the overall sign: largest amplitude positive (deterministic output)
    if vec[int(np.argmax(np.abs(vec)))] < 0:
        vec = -vec
    gap = float(w[1] - w[0]) if len(w) > 1 else math.inf
    return float(w[0]), vec, gap


def memory_estimate(N) -> float:
    """Peak bytes of :func:`ground_state_mmi` beyond the interpreter: measured
    90 bytes per spin (tridiagonal bisection + inverse iteration, N = 10^6 and
    4 x 10^6), taken as 120."""
    return 120.0 * (N + 1) + 5e7


def ground_state_mmi(N, exchange=-1.0, field=0.0, options=None) -> GroundStateResult:
    """I_M of the ground state of the LMG Hamiltonian in the J = N/2 sector.

    H_J = exchange (Jx^2 + Jy^2)/N + field Jx (Appendix B of the paper; the
    ground state of the full Hamiltonian lies in this sector for the
    ferromagnetic case ``exchange < 0``; other signs are computed in the same
    sector but are then not the global ground state).

    Parameters
    ----------
    N : int
        Number of spins, N >= 1 (N = 10^4 takes well under a second).
    exchange : float
        The paper's calligraphic J (negative: ferromagnetic). Default -1.
    field : float
        Transverse field h.
    options : dict, optional
        ``force_memory`` (default False): try even if :func:`memory_estimate`
        exceeds the available memory (otherwise ``MemoryError`` before
        anything is allocated).

    Returns
    -------
    GroundStateResult
        ``mmi_per_unit`` = b(|m|), ``mmi``, ``magnetization`` (mx, my, mz),
        ``energy``, ``gap``, ``vector`` and the parameters.

    Notes
    -----
    At ``field = 0`` with degenerate Dicke levels (odd N for exchange < 0) the
    Dicke state with the largest m among the degenerate ones is returned; see
    the module docstring.

    Examples
    --------
    >>> r = ground_state_mmi(100, exchange=-1.0, field=0.0)
    >>> round(r.mmi_per_unit, 6) == round(float(np.log(2)), 6)
    True
    >>> ground_state_mmi(100, -1.0, 0.5).mmi_per_unit < 0.1
    True
    """
    N = check_N(N)
    exchange = check_real("exchange", exchange)
    field = check_real("field", field)
    opts = check_options(options, {"force_memory": False}, "ground_state_mmi")
    check_memory(memory_estimate(N), f"the ground state at N={N}", opts["force_memory"])
    energy, vec, gap = ground_state_vector(N, exchange, field)
    return GroundStateResult(N, exchange, field, energy, vec, gap)
