"""The exact 2^N route, for cross-validation: :mod:`qutip_mmi.steadystate.exact`.

Kept as the public name ``qutip_mmi.exact``: ``exact.steady_state(model)``
returns the full 2^N ``Qobj``, ``exact.embed`` / ``exact.reduce`` convert
between it and :class:`~qutip_mmi.PIState`.
"""

from .steadystate.exact import (MAX_N, collective_operators, embed, liouvillian,  # noqa: F401
                                reduce, solve, steady_state)
from .steadystate.exact import __all__  # noqa: F401
