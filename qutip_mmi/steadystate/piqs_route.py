"""The reference route: :mod:`qutip.piqs` Liouvillian solved by :func:`qutip.steadystate`.

piqs builds its Liouvillian on the whole nds x nds Dicke space (nds^2 unknowns),
including coherences between different J blocks that its dissipators never touch.
Those unknowns are decoupled from the physical ones (checked here), which makes
the Liouvillian singular beyond its steady state (QuTiP issue 2649: ``direct``
raises, ``svd`` returns a wrong state). We give them an artificial unit decay, so
that they relax to exactly zero, and let QuTiP solve the resulting regular problem.
"""

from __future__ import annotations

import time

import numpy as np
import qutip
import scipy.sparse as sp

from ..dicke import block_sizes, num_dicke_states
from ..state import PIState
from .._resources import check_memory, limit_blas_threads
from .._validation import check_options
from ._common import SteadyStateError, check_unique, finalize, relative_residual

__all__ = ["solve", "liouvillian", "PIQS_TOL"]

#: piqs computes its rates in single precision: its Liouvillian preserves the
#: trace only to ~5e-7; its steady state gives m to ~5e-8 and entropies to
#: ~1e-7 relative.
PIQS_TOL = 1e-6

#: Options of the piqs route and their defaults.
OPTIONS = {"steadystate": None, "tol": PIQS_TOL, "force_memory": False, "blas_threads": 1}


def liouvillian(model) -> qutip.Qobj:
    """piqs's Liouvillian of ``model`` (superoperator on the nds x nds Dicke space)."""
    dicke, extra = model.dicke()
    L = dicke.liouvillian()
    for op in extra:
        L = L + qutip.lindblad_dissipator(op)
    return L


def _physical_mask(N):
    sizes = block_sizes(N)
    label = np.repeat(np.arange(len(sizes)), sizes)
    # QuTiP vectorizes column-stacked: index = row + col * nds
    return (label[:, None] == label[None, :]).T.ravel()


def solve(model, options=None) -> PIState:
    """Steady state of ``model`` through piqs + :func:`qutip.steadystate`.

    piqs's rates are single precision: measured against the float64 routes the
    magnetization is good to ~5e-8 and S(rho_T), I_M to ~1e-7 relative.

    Options
    -------
    steadystate : dict
        Keyword arguments for :func:`qutip.steadystate` (default: ``method="direct"``).
    tol : float
        Acceptance bound of the checks (default ``PIQS_TOL`` = 1e-6).
    force_memory : bool
        Try even if the memory estimate exceeds what is available.
    """
    options = check_options(options, OPTIONS, "steady_state(method='piqs')")
    model.piqs_local_rates()  # refuses (ValueError) channels piqs cannot express
    check_unique(model)
    N = model.N
    nds = num_dicke_states(N)
    # QuTiP's sparse LU on nds^2 unknowns; empirically ~ 8 GB at N = 80.
    check_memory(2.0e-6 * nds ** 4 * 16 + 5e7, f"the piqs route at N={N}",
                 options["force_memory"])
    t0 = time.perf_counter()
    L = liouvillian(model)
    Ld = L.data_as("csr_matrix") if hasattr(L, "data_as") else L.data.as_scipy()
    Ld = sp.csr_matrix(Ld)
    phys = _physical_mask(N)
    cross = Ld[phys][:, ~phys]
    back = Ld[~phys][:, phys]
    if (cross.nnz and np.abs(cross.data).max() > 0) or (back.nnz and np.abs(back.data).max() > 0):
        raise SteadyStateError("piqs Liouvillian couples physical and inter-block "
                               "elements; cannot separate them")
    damp = sp.diags(np.where(phys, 0.0, -1.0).astype(complex))
    Lmod = qutip.Qobj(Ld + damp, dims=L.dims, superrep=L.superrep)
    ss_kwargs = {"method": "direct"}
    ss_kwargs.update(options["steadystate"] or {})
    try:
        with limit_blas_threads(options["blas_threads"]):
            rho = qutip.steadystate(Lmod, **ss_kwargs)
    except Exception as exc:  # QuTiP raises plain Exceptions for singular systems
        raise SteadyStateError(f"qutip.steadystate failed on the piqs route: {exc}") from exc
    seconds = time.perf_counter() - t0
    mat = rho.full()
    vec = mat.T.ravel()
    outside = float(np.abs(vec[~phys]).max()) if (~phys).any() else 0.0
    tol = options["tol"]
    if outside > tol:
        raise SteadyStateError(f"piqs steady state has weight {outside:.3e} between "
                               "J blocks")
    residual = relative_residual(Ld, vec)
    state = PIState.from_qobj(rho, N=N, atol=tol)
    # Normalize away the single-precision trace defect (reported in the checks).
    trace_raw = state.populations.sum()
    state = PIState(N, [b / trace_raw for b in state.blocks])
    return finalize(state, "piqs", residual, seconds, tol,
                    trace_before_normalization=float(trace_raw),
                    weight_between_blocks=outside,
                    steadystate_method=ss_kwargs.get("method"))
