"""
Permutation-invariant models of N spin-1/2 units: one description for every route.

A model is the Lindblad equation (eq. 1 of the paper)

    d rho/dt = -i[H, rho] + sum_m (Gamma_m / N) D[L_m] rho
               + sum_i ( g_em D[s_-^(i)] + g_pu D[s_+^(i)] + g_de D[s_z^(i)/2]... )

written once as data: the Hamiltonian as a polynomial in the collective spin
operators, the collective jumps as linear combinations of J+, J-, Jz, and the
local rates with the conventions of :mod:`qutip.piqs` (``emission`` D[sigma_-],
``pumping`` D[sigma_+], ``dephasing`` D[sigma_z / 2], each summed over units).
Every route (piqs, the exact 2^N Liouvillian, the reduced-block engine, the rate
equations and the mean-field drift) derives its operators from this description.

Scaling convention (so that the mean-field limit exists): a Hamiltonian monomial
of degree d with coefficient c stands for ``c * N**(1-d) * J_a1 ... J_ad``, and a
collective jump with rate Gamma stands for ``(Gamma / N) D[L]``.

This module is a little over 500 lines on purpose: the data classes and the
three presets (which are PIModels) belong together, and the JSON format needs
all of them (:mod:`._model_json` holds its code, local channels live in
:mod:`._local_jump`).
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Mapping

import numpy as np
import scipy.sparse as sp

from ._validation import check_N, check_rate, check_real, check_complex
from ._local_jump import LocalJump
from ._model_json import model_from_json, model_to_json

__all__ = [
    "PIModel",
    "CollectiveJump",
    "LocalJump",
    "LMG",
    "BoundaryTimeCrystal",
    "SuperradiantLaser",
]

_AXES = "xyz"


# ---------------------------------------------------------- spin-j matrices
def spin_matrices(j: float):
    """Sparse (Jx, Jy, Jz, J+, J-) of spin ``j``, basis m = j, j-1, ..., -j.

    Same ordering and phases as :func:`qutip.jmat` and the blocks of
    :func:`qutip.piqs.jspin` in the Dicke basis.
    """
    d = int(round(2 * j)) + 1
    m = j - np.arange(d)
    # <m+1|J+|m> on the superdiagonal (row i-1, column i)
    up = np.sqrt(np.maximum(j * (j + 1) - m[1:] * (m[1:] + 1), 0.0))
    jp = sp.diags(up, 1, shape=(d, d), format="csr", dtype=complex)
    jm = jp.T.tocsr()
    jz = sp.diags(m.astype(complex), 0, format="csr")
    jx = (jp + jm) * 0.5
    jy = (jp - jm) * (-0.5j)
    return jx, jy, jz, jp, jm


# ------------------------------------------------------------ descriptions
@dataclass(frozen=True)
class CollectiveJump:
    """A collective dissipator ``(rate / N) D[L]`` with ``L = a J+ + b J- + c Jz``.

    Parameters
    ----------
    rate : float
        Gamma_m >= 0 (the 1/N of eq. 1 is applied by the model).
    plus, minus, z : complex
        Coefficients of J+, J- and Jz in the jump operator.
    """

    rate: float
    plus: complex = 0.0
    minus: complex = 0.0
    z: complex = 0.0

    def __post_init__(self):
        object.__setattr__(self, "rate", check_rate("collective rate", self.rate))
        for name in ("plus", "minus", "z"):
            object.__setattr__(self, name, check_complex(name, getattr(self, name)))
        if self.plus == 0 and self.minus == 0 and self.z == 0:
            raise ValueError("a collective jump needs a non-zero operator")

    @property
    def cartesian(self) -> np.ndarray:
        """Coefficients (lx, ly, lz) with L = lx Jx + ly Jy + lz Jz."""
        return np.array(
            [self.plus + self.minus, 1j * (self.plus - self.minus), self.z],
            dtype=complex,
        )

    def operator(self, jx, jy, jz):
        """Assemble L from given Jx, Jy, Jz (any representation)."""
        lx, ly, lz = self.cartesian
        return lx * jx + ly * jy + lz * jz

    def piqs_name(self):
        """The name of the :class:`qutip.piqs.Dicke` keyword for this jump, if any."""
        if self.z == 0 and self.plus == 0:
            return "collective_emission", abs(self.minus) ** 2
        if self.z == 0 and self.minus == 0:
            return "collective_pumping", abs(self.plus) ** 2
        if self.plus == 0 and self.minus == 0:
            return "collective_dephasing", abs(self.z) ** 2
        return None, None


def _normalize_hamiltonian(hamiltonian) -> dict:
    out = {}
    for key, coeff in dict(hamiltonian or {}).items():
        if not isinstance(key, str) or not key or set(key) - set(_AXES):
            raise ValueError(
                f"unsupported Hamiltonian term {key!r}: use monomials of the "
                "collective operators written with 'x', 'y', 'z', e.g. 'x', 'zz', 'xz'"
            )
        if len(key) > 4:
            raise ValueError(f"Hamiltonian term {key!r}: degree above 4 is not supported")
        coeff = check_real(f"hamiltonian[{key!r}]", coeff)
        if coeff != 0.0:
            out[key] = out.get(key, 0.0) + coeff
    return out


@dataclass(frozen=True)
class PIModel:
    """A permutation-invariant Lindblad model of N spin-1/2 units.

    Parameters
    ----------
    N : int
        Number of units, N >= 1.
    hamiltonian : dict of str -> float
        Monomials of the collective operators: key ``"x"`` is Jx, ``"zz"`` is
        Jz^2, ``"xz"`` is Jx Jz (operator order as written). A degree-d term with
        coefficient c contributes ``c * N**(1-d) * J_a1 ... J_ad``. The sum must be
        Hermitian (write ``"xz"`` and ``"zx"`` together).
    collective : sequence of CollectiveJump
        Collective dissipators ``(Gamma_m/N) D[L_m]``.
    emission, pumping, dephasing : float
        Local rates as in :mod:`qutip.piqs`: ``sum_i D[sigma_-^(i)]``,
        ``sum_i D[sigma_+^(i)]``, ``sum_i D[sigma_z^(i)/2]`` (shorthands for
        the LocalJumps of :attr:`local_jumps`).
    local : sequence of LocalJump
        Any further local dissipators ``rate sum_i D[a sigma_+ + b sigma_- +
        c sigma_z/2 + d]`` (entries may also be lists ``[rate, a, b, c, d]``).

    Examples
    --------
    >>> m = PIModel(4, hamiltonian={"x": 1.0}, collective=[CollectiveJump(1.0, minus=1)])
    >>> m.N
    4
    >>> PIModel(4, {"x": 1.0}, local=[LocalJump(0.2, plus=1, minus=1)], emission=1.0)
    ... # doctest: +ELLIPSIS
    PIModel(N=4, ..., local=[[0.2, [1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]])
    """

    N: int
    hamiltonian: Mapping[str, float] = dc_field(default_factory=dict)
    collective: tuple = ()
    emission: float = 0.0
    pumping: float = 0.0
    dephasing: float = 0.0
    local: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "N", check_N(self.N))
        object.__setattr__(self, "hamiltonian", _normalize_hamiltonian(self.hamiltonian))
        jumps = tuple(self.collective)
        for jump in jumps:
            if not isinstance(jump, CollectiveJump):
                raise TypeError(f"collective jumps must be CollectiveJump, got {jump!r}")
        object.__setattr__(self, "collective", tuple(j for j in jumps if j.rate > 0))
        for name in ("emission", "pumping", "dephasing"):
            object.__setattr__(self, name, check_rate(name, getattr(self, name)))
        if isinstance(self.local, (LocalJump, Mapping)):
            raise TypeError("local must be a sequence of LocalJump, got a single one: "
                            "use local=[...]")
        local = tuple(LocalJump.from_value(j, f"local[{k}]")
                      for k, j in enumerate(self.local))
        object.__setattr__(self, "local", tuple(j for j in local if j.rate > 0))
        self._check_hermitian()

    # ------------------------------------------------------------ identity
    @property
    def parameters(self) -> dict:
        """The parameters that define this model (JSON-friendly)."""
        return {
            "N": self.N,
            "hamiltonian": dict(self.hamiltonian),
            "collective": [
                [j.rate, [j.plus.real, j.plus.imag], [j.minus.real, j.minus.imag],
                 [j.z.real, j.z.imag]]
                for j in self.collective
            ],
            "emission": self.emission,
            "pumping": self.pumping,
            "dephasing": self.dephasing,
            "local": [j.as_list() for j in self.local],
        }

    @property
    def name(self) -> str:
        return type(self).__name__

    def replace(self, **changes) -> "PIModel":
        """A copy with some parameters changed (``N`` or any preset parameter)."""
        params = {k: v for k, v in self.parameters.items()}
        unknown = set(changes) - set(params)
        if unknown:
            raise TypeError(f"{self.name} has no parameter(s) {sorted(unknown)}")
        params.update(changes)
        return self._from_parameters(params)

    @classmethod
    def _from_parameters(cls, params):
        jumps = [
            CollectiveJump(r, complex(*p), complex(*m), complex(*z))
            for r, p, m, z in params["collective"]
        ]
        return PIModel(
            params["N"], params["hamiltonian"], jumps,
            params["emission"], params["pumping"], params["dephasing"],
            params.get("local", ()),
        )

    # --------------------------------------------------------------- JSON
    def to_json(self, indent=None) -> str:
        """The model as versioned JSON (format ``"qutip-mmi-model/1"``).

        Presets are written as their class and preset parameters, general
        models as N, hamiltonian, collective and local jumps (complex numbers
        as [re, im]). :meth:`from_json` reads it back.

        Examples
        --------
        >>> from qutip_mmi import LMG
        >>> PIModel.from_json(LMG(8, field=0.5).to_json()) == LMG(8, field=0.5)
        True
        """
        return model_to_json(self, _json_classes(), indent)

    @staticmethod
    def from_json(text) -> "PIModel":
        """The model written by :meth:`to_json` (a preset class where it was one)."""
        return model_from_json(text, _json_classes())

    # ------------------------------------------------------- local channels
    @property
    def local_jumps(self) -> tuple:
        """Every local channel as a LocalJump: the shorthands ``emission``
        (minus=1), ``pumping`` (plus=1), ``dephasing`` (z=1), then ``local``."""
        short = [LocalJump(self.emission, minus=1.0), LocalJump(self.pumping, plus=1.0),
                 LocalJump(self.dephasing, z=1.0)]
        return tuple(j for j in short if j.rate > 0) + tuple(self.local)

    @property
    def effective_hamiltonian(self) -> dict:
        """The Hamiltonian monomials plus the linear terms implied by the
        identity parts of the local channels (``D[A + d] = D[A] - i[H_d, .]``)."""
        out = dict(self.hamiltonian)
        for jump in self.local:
            for key, c in jump.hamiltonian_correction.items():
                out[key] = out.get(key, 0.0) + c
        return {k: c for k, c in out.items() if c != 0.0}

    # ----------------------------------------------------------- operators
    def hamiltonian_operator(self, jx, jy, jz, corrections=True):
        """H built from given collective operators (sparse matrices or Qobj).

        ``corrections``: include the Hamiltonian implied by the identity parts
        of local channels (:attr:`effective_hamiltonian`); a route that applies
        the local jump operators with their identity part passes False."""
        ops = {"x": jx, "y": jy, "z": jz}
        H = 0 * jz
        terms = self.effective_hamiltonian if corrections else self.hamiltonian
        for key, c in terms.items():
            term = ops[key[0]]
            for a in key[1:]:
                term = term @ ops[a]
            H = H + (c * float(self.N) ** (1 - len(key))) * term
        return H

    def block_operators(self, j: float):
        """(H_J, [(rate, L_J), ...]) in the spin-``j`` block, sparse CSR.

        ``rate`` already includes the 1/N of the collective dissipators.
        """
        jx, jy, jz, _, _ = spin_matrices(j)
        H = sp.csr_matrix(self.hamiltonian_operator(jx, jy, jz))
        jumps = [
            (jump.rate / self.N, sp.csr_matrix(jump.operator(jx, jy, jz)))
            for jump in self.collective
        ]
        return H, jumps

    @property
    def local_rates(self) -> dict:
        """Rates of the local channels: the three shorthands, then
        ``"local[k]"`` for each entry of ``local`` (any non-zero: the local
        channels couple the J blocks)."""
        out = {"emission": self.emission, "pumping": self.pumping,
               "dephasing": self.dephasing}
        out.update({f"local[{k}]": j.rate for k, j in enumerate(self.local)})
        return out

    def conserves_excitations(self) -> bool:
        """True if every term commutes with Jz rotations (U(1) symmetry).

        Checked on the operators themselves, not assumed from the preset: the
        superoperator then conserves q = M - M' and a unique steady state is
        diagonal in the Dicke basis (rate equations apply).
        """
        j = min(self.N / 2, 2.0) if self.N >= 4 else self.N / 2
        jx, jy, jz, _, _ = spin_matrices(j)
        H = self.hamiltonian_operator(jx, jy, jz)
        if _changes_m(H):
            return False
        for jump in self.collective:
            if _changes_m_by_more_than_one(jump):
                return False
        return all(jump.conserves_excitations() for jump in self.local)

    def dicke_hamiltonian(self):
        """H as a ``Qobj`` in :mod:`qutip.piqs`'s Dicke basis (block diagonal in J),
        including the corrections of :attr:`effective_hamiltonian`."""
        from qutip import piqs
        jx, jy, jz = piqs.jspin(self.N, basis="dicke")
        H = self.hamiltonian_operator(jx, jy, jz)
        return H if self.effective_hamiltonian else 0 * jz

    def piqs_local_rates(self) -> dict:
        """The local rates as :class:`qutip.piqs.Dicke` keywords (emission,
        pumping, dephasing); raises ``ValueError`` naming a local channel that
        piqs cannot express (several of sigma_+, sigma_-, sigma_z mixed)."""
        rates = {"emission": self.emission, "pumping": self.pumping,
                 "dephasing": self.dephasing}
        for k, jump in enumerate(self.local):
            name, rate = jump.piqs_name()
            if name is None:
                raise ValueError(
                    f"qutip.piqs cannot express the local channel local[{k}] = {jump!r}: "
                    "its local dissipators are only D[sigma_-], D[sigma_+] and "
                    "D[sigma_z/2]; use method='blocks' (or 'rates', 'exact')")
            rates[name] += rate
        return rates

    def dicke(self):
        """The :class:`qutip.piqs.Dicke` object of this model, plus extra collective
        dissipators that piqs has no keyword for (returned as Qobj jump operators).
        """
        from qutip import piqs

        jx, jy, jz = piqs.jspin(self.N, basis="dicke")
        H = self.hamiltonian_operator(jx, jy, jz)
        kwargs = dict(self.piqs_local_rates())
        extra = []
        for jump in self.collective:
            name, weight = jump.piqs_name()
            if name is not None and name not in kwargs:
                kwargs[name] = jump.rate / self.N * weight
            else:
                extra.append((jump.rate / self.N) ** 0.5 * jump.operator(jx, jy, jz))
        if not self.effective_hamiltonian:
            H = None
        return piqs.Dicke(self.N, hamiltonian=H, **kwargs), extra

    # ----------------------------------------------------------- internals
    def _check_hermitian(self):
        if not self.hamiltonian:
            return
        j = 1.5
        jx, jy, jz, _, _ = spin_matrices(j)
        H = self.hamiltonian_operator(jx, jy, jz, corrections=False).toarray()
        if not np.allclose(H, H.conj().T, atol=1e-12 * (1 + np.abs(H).max())):
            raise ValueError(
                "hamiltonian is not Hermitian: add the reversed-order partner of "
                "each mixed monomial (e.g. 'xz' together with 'zx')"
            )

    def __hash__(self):
        # the Hamiltonian is a dict: hash the JSON-friendly parameters instead
        return hash((self.name, repr(self.parameters)))

    def __repr__(self):
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self._repr_items())})"

    def _repr_items(self):
        return self.parameters.items()


def _changes_m(op) -> bool:
    op = sp.csr_matrix(op)
    coo = op.tocoo()
    mask = np.abs(coo.data) > 0
    return bool(np.any(coo.row[mask] != coo.col[mask]))


def _changes_m_by_more_than_one(jump: CollectiveJump) -> bool:
    # D[L] conserves q exactly when L changes M by a single fixed amount.
    return sum(1 for c in (jump.plus, jump.minus, jump.z) if c != 0) > 1


# ----------------------------------------------------------------- presets
class _Preset(PIModel):
    """Common machinery of the named presets: rebuild from own parameters."""

    _fields: tuple = ()

    def __init__(self, N, **params):
        base = self._build(check_N(N), **params)
        object.__setattr__(self, "_preset_params", dict(params))
        PIModel.__init__(
            self, base.N, base.hamiltonian, base.collective,
            base.emission, base.pumping, base.dephasing, base.local,
        )

    @property
    def parameters(self):
        return {"N": self.N, **self._preset_params}

    @classmethod
    def _from_parameters(cls, params):
        return cls(**params)

    def __reduce__(self):
        return (_rebuild_preset, (type(self), self.parameters))

    def __eq__(self, other):
        return type(self) is type(other) and self.parameters == other.parameters

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.parameters.items()))))


def _rebuild_preset(cls, params):
    return cls(**params)


class LMG(_Preset):
    """The driven-dissipative Lipkin-Meshkov-Glick model, eqs. (14)-(15).

    H = (exchange / N) (Jx^2 + Jy^2) + field Jx, collective decay (Gamma/N) D[J-],
    local pumping gamma sum_i D[sigma_+^(i)], optional local bit flips
    bitflip sum_i D[sigma_x^(i)].

    Parameters
    ----------
    N : int
        Number of spins.
    exchange : float
        The paper's calligraphic J.
    field : float
        Transverse field h.
    Gamma : float
        Collective dissipation rate (the 1/N is applied inside).
    gamma : float
        Local pumping rate.
    bitflip : float
        Rate of local bit flips D[sigma_x] (default 0).

    Examples
    --------
    >>> model = LMG(10, field=0.5, Gamma=2.0)
    >>> model.conserves_excitations()
    False
    >>> LMG(10, field=0.0, bitflip=0.1).conserves_excitations()
    False
    """

    def __init__(self, N, exchange=3.0, field=0.0, Gamma=1.0, gamma=1.0, bitflip=0.0):
        super().__init__(N, exchange=check_real("exchange", exchange),
                         field=check_real("field", field),
                         Gamma=check_rate("Gamma", Gamma),
                         gamma=check_rate("gamma", gamma),
                         bitflip=check_rate("bitflip", bitflip))

    @staticmethod
    def _build(N, exchange, field, Gamma, gamma, bitflip):
        return PIModel(
            N,
            hamiltonian={"xx": exchange, "yy": exchange, "x": field},
            collective=[CollectiveJump(Gamma, minus=1.0)] if Gamma > 0 else [],
            pumping=gamma,
            local=[LocalJump(bitflip, plus=1.0, minus=1.0)] if bitflip > 0 else [],
        )


class BoundaryTimeCrystal(_Preset):
    """Cooperative resonance fluorescence (the boundary time crystal).

    H = omega Jx, collective decay (kappa/N) D[J-], optional local ``dephasing``,
    ``emission`` and ``pumping`` (qutip.piqs conventions: emission and pumping
    together are a thermal bath) and local bit flips ``bitflip`` D[sigma_x].

    Examples
    --------
    >>> btc = BoundaryTimeCrystal(10, emission=0.1, pumping=0.05, bitflip=0.02)
    >>> [j.piqs_name()[0] for j in btc.local_jumps]
    ['emission', 'pumping', None]
    """

    def __init__(self, N, omega=1.0, kappa=1.0, dephasing=0.0, emission=0.0,
                 pumping=0.0, bitflip=0.0):
        super().__init__(N, omega=check_real("omega", omega),
                         kappa=check_rate("kappa", kappa),
                         dephasing=check_rate("dephasing", dephasing),
                         emission=check_rate("emission", emission),
                         pumping=check_rate("pumping", pumping),
                         bitflip=check_rate("bitflip", bitflip))

    @staticmethod
    def _build(N, omega, kappa, dephasing, emission, pumping, bitflip):
        return PIModel(
            N, hamiltonian={"x": omega},
            collective=[CollectiveJump(kappa, minus=1.0)] if kappa > 0 else [],
            dephasing=dephasing, emission=emission, pumping=pumping,
            local=[LocalJump(bitflip, plus=1.0, minus=1.0)] if bitflip > 0 else [],
        )


class SuperradiantLaser(_Preset):
    """Collective decay (Gamma/N) D[J-] with local pumping gamma, no Hamiltonian
    (optionally local ``dephasing``)."""

    def __init__(self, N, Gamma=1.0, gamma=1.0, dephasing=0.0):
        super().__init__(N, Gamma=check_rate("Gamma", Gamma),
                         gamma=check_rate("gamma", gamma),
                         dephasing=check_rate("dephasing", dephasing))

    @staticmethod
    def _build(N, Gamma, gamma, dephasing):
        return PIModel(
            N, collective=[CollectiveJump(Gamma, minus=1.0)] if Gamma > 0 else [],
            pumping=gamma, dephasing=dephasing,
        )


def _json_classes():
    """The classes the model JSON format knows (see :mod:`._model_json`)."""
    return {c.__name__: c for c in (PIModel, CollectiveJump, LMG, BoundaryTimeCrystal,
                                    SuperradiantLaser)}
