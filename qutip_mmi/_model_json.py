"""
The one versioned JSON format of a model (``"qutip-mmi-model/1"``).

::

    {"format": "qutip-mmi-model/1",
     "class": "LMG",                         # or "PIModel"
     "parameters": {"N": 8, "field": 0.5, ...}}

A preset is written as its class and preset parameters. A general
:class:`~qutip_mmi.PIModel` has the parameters ``N``, ``hamiltonian``
(monomial -> coefficient), ``collective`` (list of ``{"rate", "plus",
"minus", "z"}``), ``emission``, ``pumping``, ``dephasing`` and ``local`` (list
of ``{"rate", "plus", "minus", "z", "identity"}``); complex coefficients are
``[re, im]`` pairs (a plain number is read as real), omitted ones are 0.
"""

from __future__ import annotations

import json
from typing import Mapping

from ._local_jump import LocalJump, _complex_value

__all__ = ["FORMAT", "model_to_json", "model_from_json"]

FORMAT = "qutip-mmi-model/1"


def _pair(c):
    c = complex(c)
    return [c.real, c.imag]


# The model classes are passed in by qutip_mmi.models (which calls these
# functions), so that this module imports nothing above it.

def model_to_json(model, classes, indent=None) -> str:
    """``classes``: name -> class of PIModel and every preset."""
    name = type(model).__name__
    presets = {k: c for k, c in classes.items() if k != "PIModel"}
    if name in presets and isinstance(model, presets[name]):
        params = dict(model.parameters)
    else:
        if type(model) is not classes["PIModel"]:
            raise TypeError(f"cannot write a {name} as JSON: only PIModel and the "
                            f"presets {sorted(presets)} have a format")
        params = {
            "N": model.N,
            "hamiltonian": dict(model.hamiltonian),
            "collective": [{"rate": j.rate, "plus": _pair(j.plus),
                            "minus": _pair(j.minus), "z": _pair(j.z)}
                           for j in model.collective],
            "emission": model.emission, "pumping": model.pumping,
            "dephasing": model.dephasing,
            "local": [{"rate": j.rate, "plus": _pair(j.plus), "minus": _pair(j.minus),
                       "z": _pair(j.z), "identity": _pair(j.identity)}
                      for j in model.local],
        }
        name = "PIModel"
    return json.dumps({"format": FORMAT, "class": name, "parameters": params},
                      indent=indent)


def _collective(value, k, CollectiveJump):
    where = f"collective[{k}]"
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object with rate, plus, minus, z")
    unknown = set(value) - {"rate", "plus", "minus", "z"}
    if unknown or "rate" not in value:
        raise ValueError(f"{where}: fields are rate (required), plus, minus, z; got "
                         f"{sorted(value)}")
    kw = {f: _complex_value(f"{where}.{f}", value[f]) for f in ("plus", "minus", "z")
          if f in value}
    return CollectiveJump(value["rate"], **kw)


def model_from_json(text, classes):
    """``classes``: name -> class of PIModel, CollectiveJump and every preset."""
    PIModel = classes["PIModel"]
    data = json.loads(text) if isinstance(text, (str, bytes)) else text
    if not isinstance(data, Mapping):
        raise ValueError("model JSON must be an object with format, class, parameters")
    if data.get("format") != FORMAT:
        raise ValueError(f"model JSON: unsupported format {data.get('format')!r} "
                         f"(expected {FORMAT!r})")
    name = data.get("class")
    params = data.get("parameters")
    if not isinstance(params, Mapping):
        raise ValueError("model JSON: 'parameters' must be an object")
    presets = {k: c for k, c in classes.items() if k not in ("PIModel", "CollectiveJump")}
    if name in presets:
        try:
            return presets[name](**params)
        except TypeError as exc:
            raise ValueError(f"model JSON: bad parameters for {name}: {exc}") from None
    if name != "PIModel":
        raise ValueError(f"model JSON: unknown class {name!r}; known: "
                         f"{['PIModel'] + sorted(presets)}")
    allowed = {"N", "hamiltonian", "collective", "emission", "pumping", "dephasing",
               "local"}
    unknown = set(params) - allowed
    if unknown or "N" not in params:
        raise ValueError(f"model JSON: PIModel parameters are {sorted(allowed)} (N "
                         f"required); got {sorted(params)}")
    collective = [_collective(v, k, classes["CollectiveJump"]) for k, v in enumerate(params.get("collective", []))]
    local = [LocalJump.from_value(v, f"local[{k}]")
             for k, v in enumerate(params.get("local", []))]
    return PIModel(params["N"], params.get("hamiltonian", {}), collective,
                   params.get("emission", 0.0), params.get("pumping", 0.0),
                   params.get("dephasing", 0.0), local)
