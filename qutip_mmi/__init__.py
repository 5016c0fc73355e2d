"""
qutip-mmi: multipartite mutual information of permutation-invariant open
quantum systems, a QuTiP family package.

Conventions (followed everywhere): hbar = 1, natural logarithms, spin-1/2 units
with m_a = <sigma_a> = 2 <J_a> / N, sigma_+ raises towards m_z = +1 (QuTiP's
``basis(2, 0)`` is spin up), Dicke-basis blocks ordered as in :mod:`qutip.piqs`
(J = N/2 first, m descending inside a block).

Based on K. Ptaszynski, M. Chudak, M. Esposito, "Macroscopic theory of
multipartite correlations in permutation-invariant open quantum systems" (2025).
"""

from .version import __version__
from .models import (PIModel, CollectiveJump, LMG, BoundaryTimeCrystal,
                     SuperradiantLaser)
from .models import LocalJump
from .dicke import j_values, log_dim_j, num_dicke_states
from .state import PIState
from .information import (entropy, magnetization, local_state, local_entropy,
                          mutual_information, binary_entropy)
from .steadystate import (steady_state, BlockSolver, SolverInfo, SteadyStateError,
                          ConvergenceWarning)
from . import exact
from . import meanfield
from .groundstate import ground_state_mmi, GroundStateResult
from . import sweep  # the module, callable as its function sweep.sweep
from .sweep import SweepResult
from .figures import extrapolate
from .spectrum import spectrum, SpectrumResult
from . import evolve  # the module, callable as its function evolve.evolve
from .evolve import EvolveResult

__all__ = [
    "__version__", "about",
    "PIModel", "CollectiveJump", "LocalJump", "LMG", "BoundaryTimeCrystal", "SuperradiantLaser",
    "j_values", "log_dim_j", "num_dicke_states", "PIState",
    "entropy", "magnetization", "local_state", "local_entropy", "mutual_information",
    "binary_entropy",
    "steady_state", "BlockSolver", "SolverInfo", "SteadyStateError",
    "ConvergenceWarning", "exact", "meanfield",
    "ground_state_mmi", "GroundStateResult", "sweep", "SweepResult", "extrapolate",
    "spectrum", "SpectrumResult", "evolve", "EvolveResult",
]


def about():
    """Print qutip-mmi's version next to :func:`qutip.about`'s report."""
    import qutip
    print(f"qutip-mmi {__version__}")
    qutip.about()
