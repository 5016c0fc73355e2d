"""
:class:`LocalJump`: one local channel ``rate * sum_i D[A_i]`` of a
:class:`~qutip_mmi.PIModel` (its algebra on the Dicke blocks is in
:mod:`qutip_mmi.steadystate._local`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ._validation import check_complex, check_rate, check_real

__all__ = ["LocalJump"]


@dataclass(frozen=True)
class LocalJump:
    """A local dissipator ``rate * sum_i D[A_i]`` acting on every unit i, with
    ``A = plus sigma_+ + minus sigma_- + z sigma_z / 2 + identity 1``.

    Bit flips are ``LocalJump(g, plus=1, minus=1)`` (D[sigma_x]), a tilted
    decay axis ``LocalJump(g, minus=cos(t), z=2 * sin(t))``; the three
    :mod:`qutip.piqs` processes are ``minus=1`` (emission), ``plus=1`` (pumping)
    and ``z=1`` (dephasing D[sigma_z/2]). The identity part only adds the
    collective Hamiltonian :attr:`hamiltonian_correction` (see
    :mod:`qutip_mmi.steadystate._local`).

    Parameters
    ----------
    rate : float
        gamma >= 0.
    plus, minus, z, identity : complex
        Coefficients of sigma_+, sigma_-, sigma_z / 2 and the identity.

    Examples
    --------
    >>> LocalJump(0.5, plus=1, minus=1).conserves_excitations()
    False
    >>> LocalJump(0.5, minus=1, identity=0.3).hamiltonian_correction
    {'x': 0.0, 'y': 0.15}
    """

    rate: float
    plus: complex = 0.0
    minus: complex = 0.0
    z: complex = 0.0
    identity: complex = 0.0

    def __post_init__(self):
        object.__setattr__(self, "rate", check_rate("local rate", self.rate))
        for name in ("plus", "minus", "z", "identity"):
            object.__setattr__(self, name, check_complex(name, getattr(self, name)))
        if self.plus == 0 and self.minus == 0 and self.z == 0:
            raise ValueError(
                "a local jump needs a non-zero operator: plus, minus and z are all 0 "
                "(D[identity] is zero)")

    @property
    def coefficients(self) -> tuple:
        """(plus, minus, z, identity)."""
        return (self.plus, self.minus, self.z, self.identity)

    def matrix(self) -> np.ndarray:
        """The single-unit jump operator A (2x2, basis up, down as qutip)."""
        return np.array([[0.5 * self.z + self.identity, self.plus],
                         [self.minus, -0.5 * self.z + self.identity]], dtype=complex)

    @property
    def hamiltonian_correction(self) -> dict:
        """Linear Hamiltonian monomials implied by the identity part:
        ``rate (i/2) sum_i (d* A_i - d A_i^dag)`` with A without identity,
        as ``{"x": hx, "y": hy, "z": hz}`` (terms that vanish are left out)."""
        d = self.identity
        if d == 0:
            return {}
        a, b, c = self.plus, self.minus, self.z
        # coefficient of J+ (that of J- is its conjugate) and of Jz
        p = self.rate * 0.5j * (d.conjugate() * a - d * b.conjugate())
        hz = -self.rate * (d.conjugate() * c).imag
        out = {}
        if a != 0 or b != 0:
            out["x"] = 2.0 * p.real + 0.0  # (no -0.0)
            out["y"] = -2.0 * p.imag + 0.0
        if c != 0:
            out["z"] = hz + 0.0
        return out

    def conserves_excitations(self) -> bool:
        """True if D[A] commutes with rotations about z: A changes m by one fixed
        amount (one of plus, minus, z), and an identity part only next to z."""
        parts = [c != 0 for c in (self.plus, self.minus, self.z)]
        return sum(parts) == 1 and (self.identity == 0 or self.z != 0)

    def piqs_name(self):
        """(keyword of :class:`qutip.piqs.Dicke`, rate) where the sigma part is one
        of piqs's local processes, else (None, None)."""
        a, b, c = self.plus, self.minus, self.z
        if b != 0 and a == 0 and c == 0:
            return "emission", self.rate * abs(b) ** 2
        if a != 0 and b == 0 and c == 0:
            return "pumping", self.rate * abs(a) ** 2
        if c != 0 and a == 0 and b == 0:
            return "dephasing", self.rate * abs(c) ** 2
        return None, None

    def as_list(self) -> list:
        """[rate, [re, im] of plus, minus, z, identity] (JSON-friendly)."""
        return [self.rate] + [[c.real, c.imag] for c in self.coefficients]

    @classmethod
    def from_value(cls, value, name="local jump"):
        """A LocalJump from itself, a dict of its fields, or a list
        ``[rate, plus, minus, z(, identity)]`` (complex as numbers or [re, im])."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - {"rate", "plus", "minus", "z", "identity"}
            if unknown:
                raise ValueError(f"{name}: unknown field(s) {sorted(unknown)}; valid: "
                                 "rate, plus, minus, z, identity")
            if "rate" not in value:
                raise ValueError(f"{name}: the rate is missing")
            kw = {k: _complex_value(f"{name}.{k}", v) for k, v in value.items()
                  if k != "rate"}
            return cls(value["rate"], **kw)
        if isinstance(value, (list, tuple)):
            if not 2 <= len(value) <= 5:
                raise ValueError(
                    f"{name}: a coefficient list is [rate, plus, minus, z, identity] "
                    f"(2 to 5 entries), got {len(value)} entries")
            coeffs = [_complex_value(f"{name}[{k}]", v) for k, v in
                      enumerate(value[1:], 1)]
            return cls(value[0], *coeffs)
        raise TypeError(f"{name} must be a LocalJump (or [rate, plus, minus, z, "
                        f"identity]), got {value!r}")


def _complex_value(name, value):
    """A complex number from a number or a [re, im] pair (JSON)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{name}: a complex number is [re, im], got "
                             f"{len(value)} entries")
        return complex(check_real(f"{name} (real part)", value[0]),
                       check_real(f"{name} (imaginary part)", value[1]))
    return check_complex(name, value)
