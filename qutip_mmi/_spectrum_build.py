"""The operators of :func:`qutip_mmi.spectrum`: sectors, coordinates, solvers (private)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._resources import check_memory
from ._spectrum_ops import DirectSolver, GmresSolver, HermitianCoords, layout_grid, pin
from .steadystate.liouvillian import QLayout, assemble

__all__ = ["Space", "build_spaces", "vector_of"]


class Space:
    """One operator whose eigenvalues are wanted: a q sector, or every q.

    ``A``: the sparse matrix (real coordinates y of Hermitian vectors for the
    full space at a real shift); ``to_full(w)``: an eigenvector of A as the
    complex reduced vector on ``layout``; ``sector``: q, or None (mixed);
    ``deflate``: (k0, rho, diagonal positions) to remove the steady state's 0
    exactly, or None; ``mirror``: the sector -q (conjugates) comes along;
    ``zeros_expected``: zero eigenvalues to make room for (shifted solves);
    ``solver``: "direct", "gmres" or "propagator"; ``gmres(system, shift, deflate)``: the
    GMRES solver factory; ``trace``: positions of the diagonal elements (the
    trace functional sums them), or None for a sector without them.
    """

    def __init__(self, A, layout, sector=None, to_full=None, deflate=None, mirror=False,
                 zeros_expected=0, solver="direct", gmres=None, grid=None, trace=None):
        self.A = A.tocsr()
        self.layout = layout
        self.sector = sector
        self.to_full = to_full or (lambda w: np.asarray(w, dtype=complex))
        self.deflate = deflate
        self.mirror = mirror
        self.zeros_expected = zeros_expected
        self.solver = solver
        self.gmres = gmres
        self.grid = grid if grid is not None else layout_grid(layout)
        self.trace = trace


def vector_of(layout, state):
    """The elements of a PIState on ``layout`` (complex vector)."""
    out = np.zeros(layout.size, complex)
    r = np.rint(layout.j - layout.m).astype(np.int64)
    c = np.rint(layout.j - layout.mp).astype(np.int64)
    for blk, sel in zip(state.blocks, layout.j_groups()):
        if blk.ndim == 1:
            out[sel] = np.where(r[sel] == c[sel], blk[r[sel]], 0.0)
        else:
            out[sel] = blk[r[sel], c[sel]]
    return out


def _steady_state(model):
    """The steady state (PIState), or None where it is not unique or fails."""
    from .steadystate import SteadyStateError, steady_state
    if model.N > 1 and not any(model.local_rates.values()):
        return None
    try:
        return steady_state(model)
    except (SteadyStateError, ValueError, np.linalg.LinAlgError):
        return None


def _deflation(rho_x, layout):
    """(k0, rho, diag) with rho normalized to unit trace, pinned at its largest
    population."""
    diag = np.flatnonzero(layout.m == layout.mp)
    rho = rho_x / rho_x[diag].sum()
    k0 = int(diag[np.argmax(np.abs(rho[diag]))])
    return k0, rho, diag


def _guess_populated(W, steps=60):
    """An element with large stationary weight: a few uniformized steps of the
    population dynamics W (a generator) from a flat start."""
    d = -W.diagonal()
    lam = 1.05 * d.max() if d.size and d.max() > 0 else 1.0
    p = np.full(W.shape[0], 1.0 / W.shape[0])
    for _ in range(steps):
        p = p + (W @ p) / lam
    return int(np.argmax(p))


def _own_steady_state(R, diag_y, grid):
    """(deflate, pinned solver) from one sparse LU of R pinned at a populated
    diagonal element (re-pinned once if that weight turns out small); (None,
    None) if the pinned system is singular or the result is not stationary."""
    n0 = int(diag_y.size)
    W = R[:n0][:, :n0].tocsr()        # y block 0: the q = 0 elements, in order
    k0 = int(diag_y[_guess_populated(W)])
    for attempt in range(2):
        try:
            solver = DirectSolver(pin(R, k0), grid)
        except RuntimeError:
            return None, None
        e = np.zeros(R.shape[0])
        e[k0] = 1.0
        x = solver(e)
        solver.solves = 0
        if not np.all(np.isfinite(x)):
            return None, None
        best = int(diag_y[np.argmax(np.abs(x[diag_y]))])
        if abs(x[k0]) >= 1e-3 * abs(x[best]) or attempt == 1:
            break
        k0 = best
    rho = x / x[diag_y].sum()
    norm = float(abs(R).sum(axis=1).max())
    if np.abs(R @ rho).max() > 1e-10 * norm * np.abs(rho).max():
        return None, None
    return (k0, rho, diag_y), solver


def _memory(model, n, solver, ncv, itemsize, sectors):
    from .steadystate import memory_estimate
    est = memory_estimate(model.N, sectors)
    if solver == "direct" and not sectors and n > 60_000:
        est *= 2
    check_memory(est + itemsize * n * (ncv + 8), f"the spectrum at N={model.N}",
                 False)


def build_spaces(model, sector, sigma, opts):
    """Thunks producing the :class:`Space` objects to solve, their total size,
    and shared facts (``by_sector``)."""
    N = model.N
    real_shift = sigma is None or sigma.imag == 0
    zero_shift = sigma is None or sigma == 0
    no_local = N > 1 and not any(model.local_rates.values())
    n_j = len(QLayout(N, [0]).js)
    u1 = model.conserves_excitations()
    layout = QLayout(N, range(-N, N + 1))
    solver = opts["solver"]
    if solver == "auto":
        big = layout.size > opts["direct_max"]
        solver = ("propagator" if opts["which"] == "slowest"
                  else "gmres" if big and not no_local else "direct")
    # the direct route of the full space finds the steady state with its own LU;
    # the others take the library's (the propagator projects it out: a power
    # iteration of exp(tau L) would need ~30 / gap of time, minutes at N = 200)
    own = not u1 and real_shift and solver == "direct" and not no_local
    rho_state = _steady_state(model) if zero_shift and not own else None
    facts = {"by_sector": u1, "deflated": rho_state is not None}
    ncv = opts["ncv"] or 2 * 6 + 21

    if u1:
        if sector is not None:
            qs, mirror = [sector], False
        elif real_shift:
            qs, mirror = list(range(N + 1)), True
        else:
            qs, mirror = list(range(-N, N + 1)), False
        size = sum(QLayout(N, [q]).size for q in qs)
        if sector is None:
            size = QLayout(N, range(-N, N + 1)).size
        if not opts["force_memory"]:
            _memory(model, size, "direct", ncv, 16, True)

        def sector_thunk(q):
            def make():
                layout = QLayout(N, [q])
                A = assemble(model, layout)
                deflate = None
                if q == 0 and rho_state is not None:
                    x = vector_of(layout, rho_state)
                    if np.isrealobj(A.data):
                        x = x.real
                    deflate = _deflation(x, layout)
                zeros = 0
                if q == 0 and deflate is None:
                    zeros = n_j if no_local else 1
                return Space(A, layout, sector=q, deflate=deflate,
                             mirror=mirror and q > 0, zeros_expected=zeros,
                             trace=np.arange(layout.size) if q == 0 else None)
            return make
        return [sector_thunk(q) for q in qs], size, facts

    n = layout.size
    if not opts["force_memory"]:
        _memory(model, n, solver, ncv, 8 if real_shift else 16, False)

    if real_shift:
        def make_real():
            top = layout.q_starts[int(np.flatnonzero(layout.qs == 0)[0])]
            Lt = assemble(model, layout, rows=slice(int(top), None))
            coords = HermitianCoords(layout)
            R = coords.realify(Lt)
            deflate = pinned = None
            diag_y = coords.re[np.flatnonzero(layout.m == layout.mp)]
            if zero_shift and own:
                deflate, pinned = _own_steady_state(R, diag_y, coords.grid())
                if deflate is None:  # not unique after all: the library's route
                    state = _steady_state(model)
                    if state is not None:
                        x = coords.from_full(vector_of(layout, state))
                        deflate = (int(diag_y[np.argmax(np.abs(x[diag_y]))]),
                                   x / x[diag_y].sum(), diag_y)
                facts["deflated"] = deflate is not None
            elif rho_state is not None:
                x = vector_of(layout, rho_state)
                k0, rho, diag = _deflation(x, layout)
                deflate = (int(coords.re[k0]), coords.from_full(rho), coords.re[diag])

            def diag_block(qa, shift, deflate_):
                sl = layout.q_slice(qa)
                B = Lt[sl.start - top:sl.stop - top][:, sl].tocsr()
                if qa == 0 and np.abs(B.data.imag).max(initial=0) == 0:
                    B = B.real.tocsr()
                if qa == 0 and deflate_ is not None:
                    return pin(B, int(np.flatnonzero(coords.re[sl] == deflate_[0])[0]))
                if shift != 0:
                    B = B - shift * sp.identity(B.shape[0], format="csr")
                return B

            def gmres(system, shift, deflate_):
                return GmresSolver(system, layout, lambda q: diag_block(q, shift, deflate_),
                                   coords, tol=opts["gmres_tol"])

            space = Space(R, layout, to_full=coords.to_full, deflate=deflate,
                          grid=coords.grid(), solver=solver, gmres=gmres,
                          zeros_expected=0 if deflate else (n_j if no_local else 1),
                          trace=diag_y)
            space.pinned_solver = pinned
            return space
        return [make_real], n, facts

    def make_complex():
        L = assemble(model, layout).astype(complex)

        def gmres(system, shift, deflate_):
            def diag_block(q):
                sl = layout.q_slice(q)
                return (L[sl][:, sl] - shift * sp.identity(sl.stop - sl.start,
                                                           format="csr")).tocsr()
            return GmresSolver(system, layout, diag_block, None, tol=opts["gmres_tol"])

        return Space(L, layout, zeros_expected=n_j if no_local else 1, solver=solver,
                     gmres=gmres, trace=np.flatnonzero(layout.m == layout.mp))
    return [make_complex], n, facts
