r"""
Local (one-site) channels on the Dicke blocks: any ``rate * sum_i D[A_i]``.

A local channel is ``rate * sum_i D[a s_+ + b s_- + c s_z / 2 + d 1]`` on every
unit i (:class:`qutip_mmi.LocalJump`). This module gives its action on a
permutation-invariant state, stored as its J blocks ``rho_J`` (eq. 19:
``rho_T = (+)_J rho_J (x) 1_{dim_J} / dim_J``), in float64 and vectorized over
all the elements ``rho_{J,m,m'}`` of the reduced layout.

1. The identity part. With ``A = a s_+ + b s_- + c s_z / 2``,

       D[A + d] rho = D[A] rho - i [ (i/2)(d* A - d A^dag), rho ],

   (expand ``(A+d) rho (A+d)^dag - {(A+d)^dag (A+d), rho}/2``: the |d|^2 terms
   cancel, the cross terms give ``(d* A rho + d rho A^dag - d A^dag rho -
   d* rho A)/2``). Summed over units, ``sum_i A_i = a J+ + b J- + c Jz``, so the
   identity only adds the collective Hamiltonian
   ``rate (i/2)(d* (aJ+ + bJ- + cJz) - d (a* J- + b* J+ + c* Jz))``, linear in
   the collective spin (:attr:`qutip_mmi.LocalJump.hamiltonian_correction`);
   it joins the Hamiltonian terms and everything below ignores d.

2. The anticommutator. With ``s_+ s_- = (1 + s_z)/2``, ``s_- s_+ = (1 - s_z)/2``,
   ``s_- s_z = s_-``, ``s_z s_+ = s_+``, ``s_+ s_z = -s_+``, ``s_z s_- = -s_-``
   and the coefficients ``alpha = (alpha_+, alpha_-, alpha_z) = (a, b, c/2)`` of
   ``(s_+, s_-, s_z)``, one finds with ``W_st = rate alpha_s alpha_t*``

       sum_i A_i^dag A_i = N (W_++ + W_--)/2 + N W_zz + (W_-- - W_++) Jz
                           + (W_+z - W_z-) J+ + (W_z+ - W_-z) J-,

   a collective operator acting inside every J block (several channels just
   add their W). Its diagonal part (constant + Jz) is assembled here; the
   J+- part, only present when a channel mixes s_z with s_+ or s_-, is a
   collective term of :mod:`.liouvillian`.

3. The jump term ``sum_{s,t} W_st Phi_st`` with
   ``Phi_st(rho) = sum_i s_s^(i) rho s_t^(i)dag`` (s, t in {+, -, z}).
   The single-unit operators are components of one vector operator under
   global rotations: with the spherical components ``T_{+1} = -sqrt(2) s_+``,
   ``T_0 = s_z``, ``T_{-1} = sqrt(2) s_-``, the Wigner-Eckart theorem on
   ``V_J (x) K_J -> V_J' (x) K_J'`` (K the multiplicity spaces) gives
   ``<J' m+k, beta| T_k^(1) |J m, alpha> = <J m; 1 k|J' m+k> R_{beta alpha}``
   with one matrix R for all three components. Permutation invariance gives
   ``Phi_st(rho) = N Twirl[s_s^(1) rho s_t^(1)dag]``, and tracing out the
   multiplicity spaces,

       [Phi_st(rho)]_{J'} = c(J, J') M_s rho_J M_t^T,
       (M_s)_{m+k_s, m} = mu_s(J, J', m)  (real),

   ``mu_+ = -CG_{+1}/sqrt 2``, ``mu_- = CG_{-1}/sqrt 2``, ``mu_z = CG_0``
   (Condon-Shortley CG coefficients <J m; 1 k|J' m+k>), and a factor
   c(J, J') = N Tr(R R^dag) / dim_J' (times the normalization of eq. 19) that
   does not depend on s, t. It follows from the known diagonal cases (Chase &
   Geremia, PRA 78, 052101 (2008); Shammah et al., PRA 98, 063815 (2018)):
   c(J, J) = N + 2, c(J, J-1) = N + 2J + 2, c(J, J+1) = N - 2J. Written as
   ``pref(J, J') u_s(m) u_t(m')`` (element rho_{J,m,m'} feeds
   rho_{J', m+k_s, m'+k_t}):

   =========  =========================  ==================  ====================  =================
   J'         pref                       u_+(m)              u_-(m)                u_z(m)
   =========  =========================  ==================  ====================  =================
   J          (N/2+1) / (2J(J+1))        sqrt((J-m)(J+m+1))  sqrt((J+m)(J-m+1))    2m
   J - 1      (N/2+J+1) / (2J(2J+1))     -sqrt((J-m)(J-m-1)) sqrt((J+m)(J+m-1))    -2 sqrt(J^2-m^2)
   J + 1      (N/2-J) / (2(J+1)(2J+1))   -sqrt((J+m+1)(J+m+2)) sqrt((J-m+1)(J-m+2)) 2 sqrt((J+1)^2-m^2)
   =========  =========================  ==================  ====================  =================

   The diagonal terms s = t are eqs. (23)-(25) of Shammah et al. (pumping,
   emission, and dephasing ``D[s_z/2] = Phi_zz / 4 - N/4``). Cross terms
   ``s != t`` change q = m - m' by ``k_s - k_t`` (1 or 2): a channel mixing
   s_+, s_- or s_z couples different q blocks, which is why only channels with
   a single component (and an identity only next to s_z) conserve q.

The relative signs of the u's (the CG phases) matter only for the cross terms;
the test suite checks them against the 2^N Liouvillian built from single-site
operators, both on steady states and operator by operator.

Assembly is a "pull": for each kept row (J', n, n') and each (J'-J, s, t) the
source element (J, n - k_s, n' - k_t) is looked up, so that any row subset of
whole q blocks is assembled without touching the others.
"""

from __future__ import annotations

import numpy as np

__all__ = ["channel_matrix", "jump_entries", "anticommutator_terms"]

#: (shift of m) of the components s_+, s_-, s_z
_SHIFT = (1, -1, 0)


def channel_matrix(model) -> np.ndarray:
    """W_st = sum over the local channels of rate alpha_s conj(alpha_t), 3x3
    Hermitian, components ordered (s_+, s_-, s_z)."""
    W = np.zeros((3, 3), complex)
    for jump in model.local_jumps:
        alpha = np.array([jump.plus, jump.minus, 0.5 * jump.z], complex)
        W += jump.rate * np.outer(alpha, alpha.conj())
    return W


def anticommutator_terms(W, N):
    """(constant, kz, kp): sum_i A_i^dag A_i = constant + kz Jz + kp J+ + h.c.
    (the J- coefficient is conj(kp))."""
    const = (N * 0.5 * (W[0, 0] + W[1, 1]) + N * W[2, 2]).real
    kz = (W[1, 1] - W[0, 0]).real
    kp = W[0, 2] - W[2, 1]
    return float(const), float(kz), complex(kp)


def _pref(dj, J, N):
    with np.errstate(divide="ignore", invalid="ignore"):
        if dj == 0:
            return np.where(J > 0, (N / 2 + 1) / (2 * J * (J + 1)), 0.0)
        if dj == -1:
            return np.where(J > 0, (N / 2 + J + 1) / (2 * J * (2 * J + 1)), 0.0)
        return (N / 2 - J) / (2 * (J + 1) * (2 * J + 1))


def _u(dj, s, J, m):
    """u_s(m) of the table in the module docstring, zero outside |m| <= J."""
    if dj == 0:
        v = (np.sqrt(np.maximum((J - m) * (J + m + 1), 0)),
             np.sqrt(np.maximum((J + m) * (J - m + 1), 0)),
             2.0 * m)[s]
    elif dj == -1:
        v = (-np.sqrt(np.maximum((J - m) * (J - m - 1), 0)),
             np.sqrt(np.maximum((J + m) * (J + m - 1), 0)),
             -2.0 * np.sqrt(np.maximum(J * J - m * m, 0)))[s]
    else:
        v = (-np.sqrt(np.maximum((J + m + 1) * (J + m + 2), 0)),
             np.sqrt(np.maximum((J - m + 1) * (J - m + 2), 0)),
             2.0 * np.sqrt(np.maximum((J + 1) ** 2 - m * m, 0)))[s]
    return np.where(np.abs(m) <= J + 1e-9, v, 0.0)


class OutOfLayout(Exception):
    """A kept row is fed by an element whose q the layout does not keep."""


def inside_layout(ok, index, drop_outside):
    """Keep the entries (``ok``, a mask updated in place, and their source
    positions ``index``) whose source the layout holds (index >= 0); raise
    :class:`OutOfLayout` for one outside unless ``drop_outside``."""
    inside = index >= 0
    if inside.all():
        return index
    if not drop_outside:
        raise OutOfLayout()
    ok[ok] = inside
    return index[inside]


def jump_entries(model, layout, out, W=None, drop_outside=False):
    """(rows, cols, vals) of the local part for the rows ``out`` of ``layout``:
    the jump terms sum W_st Phi_st and the diagonal (constant + Jz) part of
    -{sum_i A_i^dag A_i, rho}/2. Raises :class:`OutOfLayout` where a source
    element is outside the layout, unless ``drop_outside`` (then left out)."""
    N = model.N
    W = channel_matrix(model) if W is None else W
    j, m, mp = layout.j[out], layout.m[out], layout.mp[out]
    tgt = layout.positions(out)
    rows, cols, vals = [], [], []
    const, kz, _ = anticommutator_terms(W, N)
    active = [(s, t) for s in range(3) for t in range(3) if W[s, t] != 0]
    real = not np.iscomplexobj(W) or not np.any(W.imag)
    jmin = (N % 2) / 2
    for dj in (0, -1, 1):
        J = j - dj                       # source block
        okJ = (J >= jmin - 1e-9) & (J <= N / 2 + 1e-9)
        if not okJ.any():
            continue
        pref = np.where(okJ, _pref(dj, np.where(okJ, J, 1.0), N), 0.0)
        left = {s: _u(dj, s, J, m - _SHIFT[s]) for s in {s for s, _ in active}}
        right = {t: _u(dj, t, J, mp - _SHIFT[t]) for t in {t for _, t in active}}
        for s, t in active:
            w = W[s, t].real if real else W[s, t]
            coef = w * pref * left[s] * right[t]
            ok = coef != 0
            if not ok.any():
                continue
            src = inside_layout(ok, layout.index(J[ok], m[ok] - _SHIFT[s],
                                                 mp[ok] - _SHIFT[t]), drop_outside)
            rows.append(tgt[ok])
            cols.append(src)
            vals.append(coef[ok])
    rows.append(tgt)
    cols.append(tgt)
    vals.append(-const - 0.5 * kz * (m + mp))
    return rows, cols, vals
