"""``qutip-mmi sweep``: steady-state I_M over a parameter grid (resumable store)."""

from __future__ import annotations

import numpy as np

from ..sweep import MAPS, sweep

HELP = 'steady-state I_M of the LMG model over a parameter grid'

def add_arguments(p):
    p.add_argument("--N", type=int, nargs="+", required=True,
                   help="number of spins (several values: a grid over N)")
    p.add_argument("--exchange", type=float, default=3.0, help="calligraphic J (default 3)")
    p.add_argument("--field", type=float, default=0.0, help="transverse field h")
    p.add_argument("--Gamma", type=float, default=1.0, help="collective decay rate")
    p.add_argument("--gamma", type=float, default=1.0, help="local pumping rate")
    for name in ("Gamma", "field", "exchange", "gamma"):
        p.add_argument(f"--{name}-range", type=float, nargs=3, default=None,
                       metavar=("START", "STOP", "NUM"),
                       help=f"sweep {name} over numpy.linspace(START, STOP, NUM)")
    p.add_argument("--method", default="auto",
                   choices=["auto", "rates", "blocks", "piqs", "exact"])
    p.add_argument("--store", default=None, help="JSON-lines store (resumable)")
    p.add_argument("--map", default="serial", choices=sorted(MAPS))
    p.add_argument("--num-cpus", type=int, default=None, help="workers of parallel maps")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--csv", default=None, help="also write the table as CSV here")
    p.add_argument("--json", action="store_true", help="print the table as JSON")


def run(args):
    from ..models import LMG
    grid = {}
    if len(args.N) > 1:
        grid["N"] = args.N
    for name in ("exchange", "field", "Gamma", "gamma"):
        rng = getattr(args, f"{name}_range")
        if rng is not None:
            start, stop, num = rng
            if num != int(num) or num < 1:
                raise ValueError(f"--{name}-range NUM must be a positive integer")
            grid[name] = np.linspace(start, stop, int(num))
    if not grid:
        raise ValueError("nothing to sweep: give --Gamma-range (or --field-range, ...) "
                         "or several --N")
    model = LMG(args.N[0], exchange=args.exchange, field=args.field, Gamma=args.Gamma,
                gamma=args.gamma)
    options = {}
    if args.num_cpus is not None:
        options["map_kw"] = {"num_cpus": args.num_cpus}
    res = sweep(model, grid, method=args.method, store=args.store, map=args.map,
                progress_bar=True if args.progress else None, options=options)
    if args.csv:
        res.to_csv(args.csv)
    if args.json:
        print(res.to_json())
    else:
        print(res)
    return 0
