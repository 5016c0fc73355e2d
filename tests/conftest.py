"""Shared small systems and reference values."""

import numpy as np
import pytest

import qutip_mmi as qm

#: The paper authors' own code (regression values quoted in the issues).
PAPER_N10 = dict(N=10, field=0.5, Gamma=2.0, exchange=3.0, gamma=1.0,
                 m=(-0.0950648, -0.1352669, 0.3652376))
PAPER_N80 = dict(N=80, field=0.5, Gamma=2.0, exchange=3.0, gamma=1.0,
                 m=(-0.2186193, -0.1112840, 0.5224951), mmi_per_unit=0.2152954)


def general_model(N):
    """A model with every kind of term: non-LMG Hamiltonian, a q-changing jump,
    local emission, pumping and dephasing."""
    return qm.PIModel(N, {"x": 0.7, "zz": 0.3, "xz": 0.2, "zx": 0.2},
                      [qm.CollectiveJump(1.3, minus=1, z=0.4),
                       qm.CollectiveJump(0.5, plus=1)],
                      emission=0.3, pumping=0.8, dephasing=0.6)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def random_pi_state(N, rng, diagonal=False):
    """A random full-rank permutation-invariant mixed state."""
    blocks = []
    for j in qm.j_values(N):
        d = int(round(2 * j)) + 1
        if diagonal:
            blocks.append(rng.random(d))
        else:
            a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
            blocks.append(a @ a.conj().T)
    total = sum(np.trace(np.atleast_2d(np.diag(b)) if b.ndim == 1 else b).real
                for b in blocks)
    return qm.PIState(N, [b / total for b in blocks])
