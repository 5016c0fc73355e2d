"""
Time evolution on the reduced block space: :func:`evolve`.

The generator is the float64 reduced Liouvillian of the steady-state engine
(:func:`qutip_mmi.steadystate.liouvillian.assemble`) in one of two layouts:

``"hermitian"``
    every element rho_{J,m,m'} with q = m - m' >= 0, in real unknowns (the q = 0
    populations, Re and Im of each q > 0 block; rho_{-q} = conj(rho_q)), as in the
    block engine. Hermiticity holds exactly along the trajectory.
``"populations"``
    only p_{J,m} (q = 0), the rate equations: taken automatically when the model
    (with its time-dependent terms) conserves Jz and the initial state is
    diagonal in every J block, since then it stays diagonal.

Integrators (``options["method"]``, QuTiP's names where QuTiP has them):
"auto" (the default: "chebyshev" for a constant generator, "dop853" with
``H_t``), "chebyshev" (a Chebyshev series of exp(t L) on an ellipse fitted to
the spectrum, :mod:`qutip_mmi._chebyshev`; constant generators only),
"dop853" (the compiled Dormand-Prince 8(5,3) of :class:`scipy.integrate.ode`,
the integrator behind QuTiP's ``method="dop853"``), "adams" (VODE's Adams,
QuTiP's default for mesolve), the Python :mod:`scipy.integrate` classes
"RK45", "DOP853" and "BDF" (with the sparse Jacobian), and "krylov"
(:func:`scipy.sparse.linalg.expm_multiply` output interval by output interval,
constant generators only). The problem is stiff (Liouvillian eigenvalues reach
~2N, mostly dissipative), so the explicit methods are stability-limited: their
cost grows like N^4 at fixed t. The Chebyshev series pays one product per term
and needs about t times the spectrum's imaginary extent of them (its real,
dissipative extent only adds a sqrt tail per window): 2-4x fewer products than
dop853 here. The comparison is in benchmarks/RESULTS.md; BDF (a sparse LU of the
coupled q blocks at every step-size change) was 100x slower than dop853. The
runners of the integrators live in :mod:`qutip_mmi._integrators`.
"""

from __future__ import annotations

import sys
import time
import types

import numpy as np

from ._chebyshev import resolve_threads
from ._initial_states import (block_weights, check_tlist, coherent_state, dicke_e_ops,
                              initial_state, td_coefficients)
from ._integrators import run_chebyshev, run_compiled, run_krylov, run_ode
from ._resources import check_memory, limit_blas_threads, make_progress_bar
from ._validation import check_options
from .dicke import log_dim_j
from .information import binary_entropy, magnetization, von_neumann
from .models import PIModel
from .state import PIState
from .steadystate._hermitian import HermitianReduction
from .steadystate.liouvillian import QLayout, assemble

__all__ = ["evolve", "EvolveResult", "coherent_state", "DEFAULT_OPTIONS", "METHODS",
           "memory_estimate"]

METHODS = ("auto", "chebyshev", "dop853", "adams", "RK45", "DOP853", "BDF", "krylov")
#: Methods that need a constant generator (no ``H_t``).
_CONSTANT_ONLY = ("chebyshev", "krylov")

#: Options of :func:`evolve` (QuTiP's names where QuTiP has one).
DEFAULT_OPTIONS = {
    "method": "auto",
    "atol": 1e-10,
    "rtol": 1e-8,
    "nsteps": 100_000,
    "max_step": 0.0,
    "store_states": False,
    "force_memory": False,
    "blas_threads": 1,
    "threads": "auto",
    "layout": "auto",
}


def memory_estimate(N, populations_only, n_times=0, store_states=False,
                    method="chebyshev") -> float:
    """Rough peak bytes of :func:`evolve` (assembly, integrator work space, states).

    Calibrated on peak resident memory of LMG runs (benchmarks/RESULTS.md): 0.30
    and 1.39 GiB at N = 100 and 200 (h = 0.5; estimates 0.37 and 1.6), 0.29 GiB
    for the populations at N = 1000 (estimate 0.30).
    """
    # chebyshev: 32 buffered terms, 16 outputs per window, the scaled generator
    if populations_only:
        n = (N / 2 + 1) ** 2
        per = 400.0 + (60.0 * max(np.log2(n), 1.0) if method == "BDF" else 0.0)
        per += 450.0 if method in ("auto", "chebyshev") else 0.0
        stored = 8.0 * n
    else:
        n = (N + 1) * (N + 2) * (N + 3) / 6.0
        per = 1000.0 + (30.0 * N if method == "BDF" else 0.0)
        per += 500.0 if method in ("auto", "chebyshev") else 0.0
        stored = 16.0 * n
    return per * n + (stored * n_times if store_states else 0.0) + 2e8


class EvolveResult:
    """Observables of :func:`evolve` at every time of ``tlist``.

    Attributes
    ----------
    times : ndarray (K,)
    mmi, mmi_per_unit : ndarray (K,)
        I_M and I_M / N.
    entropy : ndarray (K,)
        S(rho_T).
    local_entropy : ndarray (K,)
        S(rho_1) of one unit.
    magnetization : ndarray (K, 3)
        (mx, my, mz), m_a = 2 <J_a> / N.
    expect : list of ndarray (or dict, if ``e_ops`` was a dict)
        One array per ``e_ops`` entry (real for Hermitian operators).
    states : list of PIState or None
        With ``options={"store_states": True}``.
    trace_defect, min_eigenvalue : ndarray (K,)
        |Tr rho - 1| and the smallest block eigenvalue at every time (diagnostics).
    method, layout : str
        Integrator and layout ("hermitian" or "populations").
    unknowns, nfev : int
        Size of the integrated real system and right-hand-side evaluations.
    steps : int or None
        Integrator steps (series windows for "chebyshev", output intervals for
        "krylov"; None for "dop853" and "adams", which do not report them).
    seconds : float
        Wall time.
    """

    def __init__(self, N, times, data, expect, expect_keys, states, info):
        self.N = N
        self.times = times
        self.mmi = data["mmi"]
        self.mmi_per_unit = data["mmi"] / N
        self.entropy = data["entropy"]
        self.local_entropy = data["local_entropy"]
        self.magnetization = data["magnetization"]
        self.trace_defect = data["trace_defect"]
        self.min_eigenvalue = data["min_eigenvalue"]
        self.expect = dict(zip(expect_keys, expect)) if expect_keys else expect
        self.states = states
        for key, value in info.items():
            setattr(self, key, value)
        self._info = info

    def as_dict(self) -> dict:
        """JSON-safe data (complex numbers as [re, im] pairs)."""
        def arr(a):
            a = np.asarray(a)
            if np.iscomplexobj(a):
                return np.stack([a.real, a.imag], axis=-1).tolist()
            return a.tolist()
        expect = ({k: arr(v) for k, v in self.expect.items()}
                  if isinstance(self.expect, dict) else [arr(v) for v in self.expect])
        out = {"N": self.N, "times": arr(self.times), "mmi": arr(self.mmi),
               "mmi_per_unit": arr(self.mmi_per_unit), "entropy": arr(self.entropy),
               "local_entropy": arr(self.local_entropy),
               "magnetization": arr(self.magnetization), "expect": expect,
               "trace_defect": arr(self.trace_defect),
               "min_eigenvalue": arr(self.min_eigenvalue)}
        out.update({k: v for k, v in self._info.items()})
        return out

    def __repr__(self):
        return (f"EvolveResult(N={self.N}, {len(self.times)} times in "
                f"[{self.times[0]:g}, {self.times[-1]:g}], final I_M/N="
                f"{self.mmi_per_unit[-1]:.6g}, method={self.method!r}, "
                f"layout={self.layout!r}, unknowns={self.unknowns}, nfev={self.nfev}, "
                f"max |trace-1|={self.trace_defect.max():.1e}, "
                f"seconds={self.seconds:.3g})")


# ------------------------------------------------------------------ the system
class _System:
    """The real linear system dy/dt = (A0 + sum_k c_k(t) A_k) y on a layout."""

    def __init__(self, model, td, populations_only):
        N = self.N = model.N
        if populations_only:
            layout = QLayout(N, [0])
            self.A0 = assemble(model, layout).real.tocsr()
            self.terms = []  # Jz-conserving Hamiltonians do not act on populations
            self.red = None
        else:
            layout = QLayout(N, range(-N, N + 1))
            self.red = HermitianReduction(layout, model)
            self.A0 = self.red.R
            self.terms = []
            for monomials, f in td:
                Hk = PIModel(N, hamiltonian={m: 1.0 for m in monomials})
                self.terms.append((f, self.red.realified(Hk)))
        self.layout = layout
        self.size = self.A0.shape[0]
        self.r = np.rint(layout.j - layout.m).astype(np.int64)
        self.c = np.rint(layout.j - layout.mp).astype(np.int64)
        self.groups = layout.j_groups()
        self.nfev = 0

    def generator(self, t):
        A = self.A0
        for f, Ak in self.terms:
            A = A + f(t) * Ak
        return A

    def rhs(self, t, y):
        self.nfev += 1
        out = self.A0 @ y
        for f, Ak in self.terms:
            out += f(t) * (Ak @ y)
        return out

    # conversions between states and the integrated vector
    def full(self, y):
        return y if self.red is None else self.red.to_full(y)

    def vector(self, state):
        lay = self.layout
        x = np.zeros(lay.size, complex)
        for blk, sel in zip(state.blocks, self.groups):
            r, c = self.r[sel], self.c[sel]
            x[sel] = np.where(r == c, blk[r], 0.0) if blk.ndim == 1 else blk[r, c]
        return x.real.copy() if self.red is None else self.red.from_full(x)

    def state(self, x):
        lay = self.layout
        if self.red is None:
            blocks = [np.zeros(int(round(2 * j)) + 1) for j in lay.js]
            for blk, sel in zip(blocks, self.groups):
                blk[self.r[sel]] = x[sel].real
        else:
            blocks = [np.zeros((int(round(2 * j)) + 1,) * 2, complex) for j in lay.js]
            for blk, sel in zip(blocks, self.groups):
                blk[self.r[sel], self.c[sel]] = x[sel]
        return PIState(self.N, blocks)

    def e_op_weights(self, op):
        """w with <O> = w . x (x the full layout vector): w_(J,m,m') = O_J[m', m]
        (``op`` a CSR matrix in the Dicke basis)."""
        w = np.zeros(self.layout.size, complex)
        for (a, b), sel in zip(block_weights(self.N), self.groups):
            w[sel] = np.asarray(op[a:b, a:b][self.c[sel], self.r[sel]]).ravel()
        return w


def _observables(state, logdim, tol):
    """(I_M, S, S_1, m, |tr-1|, min eigenvalue) of a PIState (eq. 26)."""
    eigs = state.block_eigenvalues()
    p = state.populations
    trace = p.sum()
    occupied = p > 0
    S = sum(von_neumann(e, tol, abs(trace)) for e in eigs) \
        + float(np.dot(p[occupied], logdim[occupied]))
    m = magnetization(state)
    s1 = float(binary_entropy(np.linalg.norm(m)))
    return (state.N * s1 - S, S, s1, m, abs(trace - 1), min(e[0] for e in eigs))


# ------------------------------------------------------------------- evolve
def evolve(model, rho0, tlist, e_ops=None, options=None, progress_bar=None,
           H_t=None, args=None) -> EvolveResult:
    """Evolve a permutation-invariant state and record I_M(t) and observables.

    Parameters
    ----------
    model : PIModel
        The model (e.g. :class:`qutip_mmi.LMG`); its collective and local rates are
        constant in time.
    rho0 : PIState or Qobj
        Initial state: a :class:`~qutip_mmi.PIState`, a :mod:`qutip.piqs`
        Dicke-basis density matrix (``piqs.dicke``, ``piqs.css``, ``piqs.ghz``,
        ``piqs.excited``...), or a permutation-invariant 2^N ``Qobj`` (dims
        ``[[2]*N, [2]*N]``, small N), reduced to its J blocks. It must be
        normalized, Hermitian and positive. piqs builds its states as dense
        nds x nds matrices (1.6 GB at N = 200); for large N use
        :func:`coherent_state` (all up, all down, any coherent spin state).
    tlist : array_like
        Strictly increasing output times; ``tlist[0]`` is the initial time.
    e_ops : list or dict, optional
        Collective operators in :mod:`qutip.piqs`'s Dicke basis (e.g.
        ``piqs.jspin(N, basis="dicke")``) or callables ``f(state: PIState)``.
    options : dict, optional
        ``method`` ("auto" default: "chebyshev" without ``H_t``, "dop853"
        with it; "adams", "RK45", "DOP853", "BDF", "krylov"; see the module
        docstring), ``atol`` (1e-10), ``rtol`` (1e-8; per entry of the state,
        as in QuTiP), ``nsteps`` (most integrator steps between two output
        times, 100000; for "chebyshev" the products with the generator since
        the last output), ``max_step`` (0: unbounded), ``store_states`` (False),
        ``force_memory`` (False), ``blas_threads`` (1), ``threads`` ("auto":
        two threads for the Chebyshev products on a machine with two cores or
        more), ``layout`` ("auto",
        "hermitian" or "populations").
    progress_bar : None, bool or str
        QuTiP's progress bars ("text", "tqdm", True...), one tick per output time.
    H_t : dict, optional
        Time-dependent Hamiltonian terms, ``{monomial: coefficient}``: each adds
        ``coefficient(t) * N**(1-d) * J_a1...J_ad`` to the model's Hamiltonian
        (the scaling of :attr:`PIModel.hamiltonian`). A monomial key is written as
        there ("x", "zz"); non-Hermitian monomials go together, joined by "+"
        ("xz+zx"). A coefficient is a number, a function ``f(t)`` or
        ``f(t, args)`` (QuTiP's convention), or an array of values on ``tlist``
        (cubic-spline interpolated).
    args : dict, optional
        Passed to coefficients ``f(t, args)``.

    Returns
    -------
    EvolveResult

    Examples
    --------
    >>> import numpy as np
    >>> from qutip import piqs
    >>> from qutip_mmi import LMG, evolve
    >>> model = LMG(10, field=0.5, Gamma=2.0)
    >>> res = evolve(model, piqs.ground(10), np.linspace(0, 2, 5))
    >>> res.magnetization.shape, res.layout
    ((5, 3), 'hermitian')
    >>> round(float(res.mmi[0]), 12)   # all spins down: a product state
    0.0
    """
    t_start = time.perf_counter()
    if not isinstance(model, PIModel):
        raise TypeError(f"model must be a PIModel (e.g. qutip_mmi.LMG), got "
                        f"{type(model).__name__}")
    opts = check_options(options, DEFAULT_OPTIONS, "evolve")
    method = opts["method"]
    if method not in METHODS:
        raise ValueError(f"options['method'] must be one of {METHODS}, got {method!r}")
    N = model.N
    tlist = check_tlist(tlist)
    td = td_coefficients(H_t, tlist, args)
    td_conserves = True
    if td:
        try:
            for monomials, _ in td:
                term = PIModel(N, hamiltonian={m: 1.0 for m in monomials})
                td_conserves = td_conserves and term.conserves_excitations()
        except ValueError as exc:
            raise ValueError(f"H_t: {exc}") from None
        if method in _CONSTANT_ONLY:
            raise ValueError(f"options['method']={method!r} needs a constant generator; "
                             f"use 'dop853' (or 'auto', the default) with H_t")
    opts["threads"] = resolve_threads(opts["threads"])  # checked whatever the method
    if method == "auto":
        method = "dop853" if td else "chebyshev"
    state0 = initial_state(rho0, N)
    keys, ops = dicke_e_ops(e_ops, N)
    diagonal = all(b.ndim == 1 or not np.any(b - np.diag(np.diag(b)))
                   for b in state0.blocks)
    populations = model.conserves_excitations() and td_conserves and diagonal
    if opts["layout"] == "populations" and not populations:
        raise ValueError("options['layout']='populations' needs a Jz-conserving model "
                         "and an initial state diagonal in every J block")
    if opts["layout"] == "hermitian":
        populations = False
    elif opts["layout"] not in ("auto", "populations"):
        raise ValueError(f"options['layout'] must be 'auto', 'hermitian' or "
                         f"'populations', got {opts['layout']!r}")
    check_memory(memory_estimate(N, populations, len(tlist), opts["store_states"],
                                 method), f"evolve at N={N}", opts["force_memory"])

    system = _System(model, td, populations)
    y = system.vector(state0)
    weights = [system.e_op_weights(op[0]) if not callable(op) else None for op in ops]
    K = len(tlist)
    data = {"mmi": np.zeros(K), "entropy": np.zeros(K), "local_entropy": np.zeros(K),
            "magnetization": np.zeros((K, 3)), "trace_defect": np.zeros(K),
            "min_eigenvalue": np.zeros(K)}
    expect = [np.zeros(K, complex) for _ in ops]
    states = [] if opts["store_states"] else None
    logdim = log_dim_j(N)
    # Integration errors can push tiny eigenvalues below zero: they are clipped
    # (as round-off) and the most negative one is reported per time.
    tol = np.inf

    def record(k, y):
        x = system.full(y)
        state = system.state(x)
        (data["mmi"][k], data["entropy"][k], data["local_entropy"][k],
         data["magnetization"][k], data["trace_defect"][k],
         data["min_eigenvalue"][k]) = _observables(state, logdim, tol)
        for i, op in enumerate(ops):
            expect[i][k] = op(state) if weights[i] is None else np.dot(weights[i], x)
        if states is not None:
            states.append(state)

    bar = make_progress_bar(progress_bar, max(K - 1, 1))
    steps = 0
    with limit_blas_threads(opts["blas_threads"]):
        record(0, y)
        if K > 1:
            if method == "chebyshev":
                steps = run_chebyshev(system, y, tlist, record, bar, opts)
            elif method == "krylov":
                steps = run_krylov(system, y, tlist, record, bar)
            elif method in ("dop853", "adams"):
                steps = run_compiled(system, y, tlist, record, bar, dict(opts, method=method))
            else:
                steps = run_ode(system, y, tlist, record, bar, dict(opts, method=method))
    bar.finished()
    for i, op in enumerate(ops):
        hermitian = op[1] if not callable(op) else not np.any(expect[i].imag)
        if hermitian:
            expect[i] = expect[i].real.copy()
    info = {"method": method, "layout": "populations" if populations else "hermitian",
            "unknowns": int(system.size), "nfev": int(system.nfev), "steps": steps,
            "atol": opts["atol"], "rtol": opts["rtol"],
            "seconds": time.perf_counter() - t_start,
            "model": getattr(model, "parameters", None),
            "time_dependent": [("+".join(m)) for m, _ in td]}
    return EvolveResult(N, tlist, data, expect, keys, states, info)


class _CallableModule(types.ModuleType):
    """``qutip_mmi.evolve`` is this module and, called, its function :func:`evolve`
    (``qm.evolve(model, rho0, tlist)`` and ``import qutip_mmi.evolve`` both work)."""

    def __call__(self, *args, **kwargs):
        return evolve(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
