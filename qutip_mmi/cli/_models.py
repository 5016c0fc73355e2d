"""The model options shared by every subcommand that takes a model.

``--model lmg|btc|laser`` picks a preset whose parameters are options of their
own (``--field``, ``--omega``, ...; an option of another preset is refused),
``--model-file FILE`` reads any :class:`~qutip_mmi.PIModel` in the JSON format
of :meth:`~qutip_mmi.PIModel.to_json`. ``--N`` overrides the file's N.
"""

from __future__ import annotations

import argparse

from ..models import LMG, BoundaryTimeCrystal, SuperradiantLaser

__all__ = ["PRESETS", "add_model_arguments", "model_from_args", "preset_parameters"]

#: name -> (class, {parameter: (default, help)})
PRESETS = {
    "lmg": (LMG, {
        "exchange": (3.0, "calligraphic J, the exchange coupling"),
        "field": (0.0, "transverse field h"),
        "Gamma": (1.0, "collective decay rate (Gamma/N) D[J-]"),
        "gamma": (1.0, "local pumping rate"),
        "bitflip": (0.0, "local bit-flip rate D[sigma_x]"),
    }),
    "btc": (BoundaryTimeCrystal, {
        "omega": (1.0, "drive omega Jx"),
        "kappa": (1.0, "collective decay rate (kappa/N) D[J-]"),
        "dephasing": (0.0, "local dephasing rate D[sigma_z/2]"),
        "emission": (0.0, "local emission rate D[sigma_-]"),
        "pumping": (0.0, "local pumping rate D[sigma_+] (with emission: a thermal bath)"),
        "bitflip": (0.0, "local bit-flip rate D[sigma_x]"),
    }),
    "laser": (SuperradiantLaser, {
        "Gamma": (1.0, "collective decay rate (Gamma/N) D[J-]"),
        "gamma": (1.0, "local pumping rate"),
        "dephasing": (0.0, "local dephasing rate D[sigma_z/2]"),
    }),
}


def preset_parameters() -> dict:
    """Every preset parameter name -> {preset: (default, help)}."""
    out = {}
    for preset, (_, params) in PRESETS.items():
        for name, spec in params.items():
            out.setdefault(name, {})[preset] = spec
    return out


def add_model_arguments(p, N=True, defaults=None):
    """Add ``--model``, ``--model-file``, ``--N`` and every preset parameter.

    ``defaults`` overrides preset defaults of this subcommand (e.g. the ground
    state's ferromagnetic exchange -1).
    """
    defaults = defaults or {}
    g = p.add_argument_group("model")
    g.add_argument("--model", choices=sorted(PRESETS), default="lmg",
                   help="preset model: lmg (driven-dissipative LMG), btc (boundary "
                        "time crystal), laser (superradiant laser)")
    g.add_argument("--model-file", default=argparse.SUPPRESS, metavar="FILE",
                   help="JSON file of any PIModel (PIModel.to_json()); replaces "
                        "--model and its parameters (default: none, use --model)")
    if N:
        g.add_argument("--N", type=int, default=argparse.SUPPRESS,
                       help="number of spins (required unless --model-file gives it; "
                            "default: N of the file)")
    for name, by_preset in preset_parameters().items():
        text = "; ".join(f"{preset}: {h} (default: {defaults.get(name, d)})"
                         for preset, (d, h) in by_preset.items())
        g.add_argument(f"--{name}", type=float, default=argparse.SUPPRESS, help=text)


def given_parameters(args) -> dict:
    """The preset parameters given on the command line (not None)."""
    return {name: getattr(args, name) for name in preset_parameters()
            if getattr(args, name, None) is not None}


def model_from_args(args, N=None, defaults=None, **overrides):
    """The model the options describe (``N`` if the subcommand has no ``--N``).

    ``overrides`` (e.g. a swept parameter) are preset parameters set by the
    subcommand itself.
    """
    defaults = defaults or {}
    given = given_parameters(args)
    N = getattr(args, "N", None) if N is None else N
    model_file = getattr(args, "model_file", None)
    if model_file is not None:
        if given:
            raise ValueError(f"--model-file replaces the preset parameters; drop "
                             f"{', '.join('--' + k for k in sorted(given))}")
        from ..models import PIModel
        try:
            with open(model_file) as fh:
                model = PIModel.from_json(fh.read())
        except OSError as exc:
            raise OSError(f"--model-file {model_file}: {exc.strerror}") from None
        if N is not None:
            model = model.replace(N=N)
        if overrides:
            model = model.replace(**overrides)
        return model
    cls, params = PRESETS[args.model]
    foreign = sorted(set(given) - set(params))
    if foreign:
        raise ValueError(f"{', '.join('--' + k for k in foreign)} is not a parameter "
                         f"of --model {args.model} (its parameters: "
                         f"{', '.join('--' + k for k in params)})")
    if N is None:
        raise ValueError("--N is required (or a --model-file that gives N)")
    values = {k: defaults.get(k, d) for k, (d, _) in params.items()}
    values.update(given)
    values.update(overrides)
    return cls(N, **values)

