"""Input conversion for :func:`qutip_mmi.evolve`: the initial state, ``tlist``,
``e_ops`` and time-dependent Hamiltonian coefficients (errors name the argument).
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import qutip

from .dicke import block_sizes, num_dicke_states
from .state import PIState

__all__ = ["initial_state", "check_tlist", "dicke_e_ops", "td_coefficients",
           "coherent_state"]

#: Tolerance on |Tr rho0 - 1|, the Hermiticity defect and negative eigenvalues.
STATE_TOL = 1e-8


def initial_state(rho0, N) -> PIState:
    """``rho0`` (PIState, piqs Dicke-basis Qobj or permutation-invariant 2^N Qobj)
    as a checked, normalized PIState of N units."""
    if isinstance(rho0, PIState):
        state = rho0
    elif isinstance(rho0, qutip.Qobj):
        if rho0.isket:
            rho0 = rho0.proj()
        if not rho0.isoper:
            raise ValueError(f"rho0 must be a density matrix, got a Qobj of type "
                             f"{rho0.type!r}")
        dims = rho0.dims[0]
        if len(dims) > 1 or (dims == [2] and N == 1):
            if any(d != 2 for d in dims) or len(dims) != N:
                raise ValueError(f"rho0 has dims {rho0.dims}; a full state of the "
                                 f"model's N={N} spins needs dims [[2]*{N}, [2]*{N}]")
            from . import exact
            try:
                state = exact.reduce(rho0)
            except ValueError as exc:
                raise ValueError(f"rho0: {exc}") from None
        else:
            if rho0.shape[0] != num_dicke_states(N):
                raise ValueError(
                    f"rho0 has shape {rho0.shape}; a qutip.piqs Dicke-basis state of "
                    f"N={N} needs {num_dicke_states(N)}x{num_dicke_states(N)} "
                    f"(or pass a full 2^N state with dims [[2]*N, [2]*N])")
            state = _from_dicke(rho0, N)
    else:
        raise TypeError("rho0 must be a PIState, a qutip.piqs Dicke-basis density "
                        f"matrix or a 2^N Qobj, got {type(rho0).__name__}")
    if state.N != N:
        raise ValueError(f"rho0 describes N={state.N} units but the model has N={N}")
    check = state.check()
    if abs(check.trace - 1) > STATE_TOL:
        raise ValueError(f"rho0 is not normalized: its trace is {check.trace:.12g}")
    if check.hermiticity > STATE_TOL:
        raise ValueError(f"rho0 is not Hermitian (defect {check.hermiticity:.2e})")
    if check.min_eigenvalue < -STATE_TOL:
        raise ValueError(f"rho0 is not positive (eigenvalue {check.min_eigenvalue:.2e})")
    return state


def check_tlist(tlist) -> np.ndarray:
    """``tlist`` as a 1-D finite strictly increasing float array (length >= 1)."""
    try:
        t = np.asarray(tlist, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"tlist must be a 1-D array of times, got {tlist!r}") from None
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"tlist must be a non-empty 1-D array, got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("tlist must be finite (it contains NaN or inf)")
    if np.any(np.diff(t) <= 0):
        raise ValueError("tlist must be strictly increasing")
    return t


def dicke_e_ops(e_ops, N):
    """(keys, items): each item a Dicke-basis dense matrix or a callable of PIState.

    ``keys`` is None for a list (or a single operator) and the dict keys for a dict.
    """
    if e_ops is None:
        return None, []
    keys = None
    if isinstance(e_ops, dict):
        keys, e_ops = list(e_ops), list(e_ops.values())
    elif isinstance(e_ops, qutip.Qobj) or callable(e_ops):
        e_ops = [e_ops]
    elif not isinstance(e_ops, (list, tuple)):
        raise TypeError("e_ops must be a list (or dict) of Dicke-basis Qobj or "
                        f"callables of the state, got {type(e_ops).__name__}")
    nds = num_dicke_states(N)
    items = []
    for k, op in enumerate(e_ops):
        label = f"e_ops[{keys[k]!r}]" if keys else f"e_ops[{k}]"
        if isinstance(op, qutip.Qobj):
            if op.shape != (nds, nds):
                raise ValueError(
                    f"{label} has shape {op.shape}; operators must be in qutip.piqs's "
                    f"Dicke basis, {nds}x{nds} for N={N} (e.g. "
                    f"qutip.piqs.jspin({N}, basis='dicke'))")
            items.append((_csr(op), bool(op.isherm)))
        elif callable(op):
            items.append(op)
        else:
            raise TypeError(f"{label} must be a Dicke-basis Qobj or a callable of the "
                            f"state, got {type(op).__name__}")
    return keys, items


def _csr(qobj):
    """The matrix of a Qobj as scipy CSR (piqs operators are sparse: never dense)."""
    import scipy.sparse as sp
    try:
        return sp.csr_matrix(qobj.to("csr").data.as_scipy())
    except AttributeError:  # pragma: no cover - other QuTiP versions
        return sp.csr_matrix(qobj.full())


def _from_dicke(rho0, N) -> PIState:
    """PIState of a piqs Dicke-basis Qobj without a dense nds x nds copy.

    Blocks whose off-diagonal elements all vanish are kept as their diagonal
    (``piqs.excited(1000)`` then costs kilobytes, not a terabyte)."""
    A = _csr(rho0).tocoo()
    sizes = block_sizes(N)
    label = np.repeat(np.arange(len(sizes)), sizes)
    inside = label[A.row] == label[A.col]
    outside = float(np.abs(A.data[~inside]).sum())
    if outside > 1e-10 * max(1.0, float(np.abs(A.data).sum())):
        raise ValueError(f"rho0 has weight {outside:.3g} between different J blocks; "
                         "not a permutation-invariant Dicke-basis state")
    A = A.tocsr()
    blocks = []
    for a, b in block_weights(N):
        blk = A[a:b, a:b].tocoo()
        off = blk.row != blk.col
        if np.any(blk.data[off] != 0):
            blocks.append(blk.toarray())
        else:
            blocks.append(blk.tocsr().diagonal())
    return PIState(N, blocks)


def _call_style(f):
    """1 if ``f`` takes (t,), 2 if it takes (t, args)."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return 1
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                  p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 1
    if len(required) >= 2 or (len(positional) >= 2 and positional[1].name == "args"):
        return 2
    return 1


def td_coefficients(H_t, tlist, args=None):
    """``H_t`` as a list of (monomials, coefficient function of t -> float).

    Keys: a monomial as in :attr:`PIModel.hamiltonian` ("x", "zz", ...) or several
    joined by "+" ("xz+zx") sharing one coefficient. Values: a number, a function
    ``f(t)`` or ``f(t, args)``, or an array on ``tlist`` (cubic-spline interpolated).
    """
    if not H_t:
        return []
    if not isinstance(H_t, dict):
        raise TypeError(f"H_t must be a dict monomial -> coefficient, got "
                        f"{type(H_t).__name__}")
    from scipy.interpolate import CubicSpline
    out = []
    for key, coeff in H_t.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"H_t key {key!r} must be a monomial string such as 'x'")
        monomials = tuple(k.strip() for k in key.split("+"))
        label = f"H_t[{key!r}]"
        if isinstance(coeff, numbers.Real) and not isinstance(coeff, bool):
            value = float(coeff)
            f = (lambda v: lambda t: v)(value)
        elif callable(coeff):
            if _call_style(coeff) == 2:
                f = (lambda g: lambda t: g(t, args if args is not None else {}))(coeff)
            else:
                f = coeff
        else:
            arr = np.asarray(coeff)
            if arr.ndim != 1 or arr.size != len(tlist):
                raise ValueError(f"{label}: an array coefficient must have one value per "
                                 f"time of tlist ({len(tlist)}), got shape {arr.shape}")
            if np.iscomplexobj(arr) and np.abs(arr.imag).max() > 0:
                raise ValueError(f"{label}: coefficients must be real (H Hermitian)")
            arr = arr.real.astype(float)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{label}: the coefficient array contains NaN or inf")
            if len(tlist) < 2:
                f = (lambda v: lambda t: v)(float(arr[0]))
            else:
                f = CubicSpline(tlist, arr)
        out.append((monomials, _checked(f, label)))
    return out


def _checked(f, label):
    def coefficient(t):
        value = f(t)
        try:
            value = complex(value)
        except TypeError:
            raise TypeError(f"{label} must return a number, got {value!r}") from None
        if value.imag != 0 or not np.isfinite(value.real):
            raise ValueError(f"{label}({t}) = {value}: coefficients must be real and "
                             "finite (H Hermitian)")
        return value.real
    return coefficient


def block_weights(N):
    """Start/stop of each J block in the Dicke basis (as :func:`block_sizes`)."""
    sizes = block_sizes(N)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return list(zip(starts[:-1], starts[1:]))


def coherent_state(N, theta, phi=0.0) -> PIState:
    """The coherent spin state |theta, phi>^{(x)N} as a PIState (J = N/2 block only).

    Same state and phase convention as ``qutip.piqs.css(N, theta, phi,
    coordinates="polar")`` (theta from +z: 0 is all spins up, pi all down), built
    without piqs's dense nds x nds matrix, so N in the thousands is cheap. The
    poles (theta = 0 or pi) give a diagonal state (the rate-equation layout).
    """
    from scipy.special import gammaln
    from ._validation import check_N, check_real
    N = check_N(N)
    theta, phi = check_real("theta", theta), check_real("phi", phi)
    sizes = block_sizes(N)
    blocks = [np.zeros(d) for d in sizes]
    k = np.arange(N + 1)  # number of flipped spins: m = N/2 - k
    c, s = abs(np.cos(theta / 2)), abs(np.sin(theta / 2))
    if s < 1e-15 or c < 1e-15:  # a pole: all up or all down (cos(pi/2) ~ 6e-17)
        blocks[0][0 if s < 1e-15 else N] = 1.0
        return PIState(N, blocks)
    logamp = 0.5 * (gammaln(N + 1) - gammaln(k + 1) - gammaln(N - k + 1)) \
        + (N - k) * np.log(c) + k * np.log(s)
    sign = np.sign(np.cos(theta / 2)) ** (N - k) * np.sign(np.sin(theta / 2)) ** k
    amp = sign * np.exp(logamp) * np.exp(-1j * k * phi)
    blocks[0] = np.outer(amp, amp.conj())
    return PIState(N, blocks)
