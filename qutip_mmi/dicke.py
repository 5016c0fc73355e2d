"""
J-block bookkeeping of the Dicke basis.

A permutation-invariant state of N spin-1/2 units is ``rho_T = (+)_J rho_J (x)
1_{dim_J} / dim_J`` (eq. 19). Conventions used throughout the package, equal to
those of :mod:`qutip.piqs`: J runs from N/2 down to N/2 mod 1 and inside a block
the basis is m = J, J-1, ..., -J.

The reduced vector holds all rho_{J,m,m'} block after block, each block row-major
(``index = offset_J + (J - m) * (2J + 1) + (J - m')``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ._validation import check_N

__all__ = [
    "j_values",
    "block_sizes",
    "log_dim_j",
    "num_dicke_states",
    "num_block_elements",
    "n_from_num_dicke_states",
]


def j_values(N) -> np.ndarray:
    """Total spins J = N/2, N/2 - 1, ..., N/2 mod 1 (descending, as piqs)."""
    N = check_N(N)
    return N / 2 - np.arange(N // 2 + 1)


def block_sizes(N) -> np.ndarray:
    """2J + 1 for each J of :func:`j_values`."""
    return (2 * j_values(N) + 1).round().astype(np.int64)


def log_dim_j(N, j=None) -> np.ndarray:
    """ln dim_J of eq. (20), via log-gamma (no overflow at any N).

    dim_J = (2J+1) N! / ((N/2 + J + 1)! (N/2 - J)!) is the multiplicity of the
    spin-J irreducible representation in (C^2)^{(x)N}.

    Examples
    --------
    >>> round(float(np.exp(log_dim_j(4, 1.0))), 10)  # three spin-1 irreps in 4 qubits
    3.0
    """
    N = check_N(N)
    j = j_values(N) if j is None else np.asarray(j, dtype=float)
    return (np.log(2 * j + 1) + gammaln(N + 1)
            - gammaln(N / 2 + j + 2) - gammaln(N / 2 - j + 1))


def num_dicke_states(N) -> int:
    """Size of piqs's Dicke space, sum_J (2J + 1)."""
    return int(block_sizes(N).sum())


def num_block_elements(N) -> int:
    """Size of the reduced vector, sum_J (2J + 1)^2."""
    return int((block_sizes(N) ** 2).sum())


def n_from_num_dicke_states(nds: int):
    """Invert :func:`num_dicke_states`; ``None`` if no N matches."""
    # nds = (N/2 + 1)^2 (N even) or (N + 1)(N + 3)/4 (N odd): N ~ 2 sqrt(nds)
    guess = max(1, int(2 * np.sqrt(nds)) - 3)
    for N in range(guess, guess + 8):
        if num_dicke_states(N) == nds:
            return N
    return None
