"""``qutip-mmi figure``: the paper's figures (PNG, PDF and data)."""

from __future__ import annotations

import numpy as np

from ..figures import figure_1a, figure_1b, figure_2, figure_transverse

HELP = "the paper's figures (PNG, PDF and data)"

def add_arguments(p):
    p.add_argument("which", choices=["1a", "1b", "2", "transverse"])
    p.add_argument("--N", type=int, nargs="+", default=None, help="system sizes")
    p.add_argument("--Gamma-range", type=float, nargs=3, default=None,
                   metavar=("START", "STOP", "NUM"), help="Gamma grid (linspace)")
    p.add_argument("--field", type=float, default=None,
                   help="transverse field (1b/transverse; default 0.5)")
    p.add_argument("--out", default="figures", help="output folder (default figures)")
    p.add_argument("--paper", action="store_true", help="the paper's system sizes")
    p.add_argument("--store", default=None, help="JSON-lines store of the sweep")
    p.add_argument("--map", default="serial",
                   choices=["serial", "parallel", "loky", "mpi"])
    p.add_argument("--num-cpus", type=int, default=None)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--no-theory", action="store_true", help="leave out mean field")


def run(args):
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
