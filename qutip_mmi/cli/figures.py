"""``qutip-mmi figure``: the paper's figures (PNG, PDF and data)."""

from __future__ import annotations

import os

import numpy as np

from ..figures import figure_1a, figure_1b, figure_2, figure_transverse

from ..figures import DEFAULTS, PAPER
from ..sweep import MAPS
from .sweep import check_output_path

HELP = "the paper's figures (PNG, PDF and data)"


def _sizes(name):
    return (f"N = {', '.join(map(str, DEFAULTS[name]['Ns']))} "
            f"(--paper: {', '.join(map(str, PAPER[name]['Ns']))})")


DESCRIPTION = f"""the paper's figures, each as PNG, PDF and its data (CSV and JSON)

  1a          I_M/N of the LMG steady state at h = 0 versus Gamma/gamma, with the
              mean-field limit (eq. 18) and an N -> infinity extrapolation;
              {_sizes("1a")}
  1b          the same at h = 0.5 (mean-field limit cycles for Gamma > gamma);
              {_sizes("1b")}
  2           I_M/N of the ferromagnetic LMG ground state versus h, inset near
              h = 0 (the fragile ln 2); {_sizes("2")}
  transverse  the transverse magnetization at h = 0.5 versus Gamma/gamma;
              {_sizes("transverse")}

Gamma grid (1a, 1b, transverse): 21 points on [0, 5] (--paper: the paper's)."""

#: options that only the steady-state figures (not figure 2) use
_STEADY_ONLY = ("Gamma_range", "store", "map", "num_cpus", "progress", "no_theory")


def add_arguments(p):
    p.add_argument("which", choices=["1a", "1b", "2", "transverse"],
                   help="which figure (see above)")
    p.add_argument("--N", type=int, nargs="+", default=None,
                   help="system sizes (default: %(default)s, the sizes above)")
    p.add_argument("--Gamma-range", type=float, nargs=3, default=None,
                   metavar=("START", "STOP", "NUM"),
                   help="Gamma grid numpy.linspace(START, STOP, NUM) (not for figure 2)")
    p.add_argument("--field", type=float, default=None,
                   help="transverse field of 1b/transverse (default: %(default)s, "
                        "i.e. 0.5; not for 1a and 2)")
    p.add_argument("--out", default="figures", help="output folder")
    p.add_argument("--paper", action="store_true",
                   help="the paper's system sizes and grids (1a, 1b: hours)")
    p.add_argument("--store", default=None, metavar="FILE",
                   help="JSON-lines store of the sweep (resumable; not for figure 2)")
    p.add_argument("--map", default="serial", choices=sorted(MAPS),
                   help="how the sweep's points are computed (see qutip-mmi sweep)")
    p.add_argument("--num-cpus", type=int, default=None,
                   help="workers of the parallel maps (default: %(default)s: all)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--no-theory", action="store_true", help="leave out mean field")


def _check(args):
    """Refuse options the chosen figure would ignore, and an unusable --out."""
    defaults = {"Gamma_range": None, "store": None, "map": "serial", "num_cpus": None,
                "progress": False, "no_theory": False}
    if args.which == "2":
        ignored = [k for k in _STEADY_ONLY if getattr(args, k) != defaults[k]]
        if args.field is not None:
            ignored.append("field")
    else:
        ignored = ["field"] if args.which == "1a" and args.field is not None else []
    if ignored:
        names = ", ".join("--" + k.replace("_", "-") for k in ignored)
        raise ValueError(f"{names}: not used by figure {args.which} (it would be "
                         "ignored)")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out {args.out}: exists and is not a folder")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {args.out}: cannot create the folder "
                         f"({exc.strerror})") from None
    if not os.access(args.out, os.W_OK | os.X_OK):
        raise ValueError(f"--out {args.out}: the folder is not writable")
    check_output_path(args.store, "--store")
    if args.num_cpus is not None and args.num_cpus < 1:
        raise ValueError(f"--num-cpus must be a positive integer, got {args.num_cpus}")


def run(args):
    _check(args)
    kw = {"out": args.out, "paper": args.paper}
    if args.N is not None:
        kw["Ns"] = args.N
    if args.which != "2":
        if args.Gamma_range is not None:
            a, b, n = args.Gamma_range
            kw["Gammas"] = np.linspace(a, b, int(n))
        kw.update(store=args.store, map=args.map,
                  progress_bar=True if args.progress else None,
                  theory=not args.no_theory)
        if args.num_cpus is not None:
            kw["options"] = {"map_kw": {"num_cpus": args.num_cpus}}
        if args.field is not None and args.which != "1a":
            kw["field"] = args.field
    fn = {"1a": figure_1a, "1b": figure_1b, "2": figure_2,
          "transverse": figure_transverse}[args.which]
    res = fn(**kw)
    for kind, path in res.files.items():
        print(f"{kind:5s} {path}")
    for e in res.data.get("extrapolation", []) or []:
        mf = e.get("mean_field")
        mf = "" if mf is None else f"   mean field {mf:.5f}"
        if e.get("consistent", True) and e["estimate"] is not None:
            print(f"Gamma = {e['Gamma']:.4g}: N->inf fit I_M/N = {e['estimate']:.5f} "
                  f"+- {e['error']:.1g}{mf}")
        else:
            print(f"Gamma = {e['Gamma']:.4g}: no N->inf fit ({e['reason']}){mf}")
    return 0
