"""``qutip-mmi evolve``: I_M(t) of a model (LMG by default) after a quench."""

from __future__ import annotations

import csv
import json

import numpy as np

from ..evolve import METHODS, coherent_state, evolve
from ._models import add_model_arguments, model_from_args
from .sweep import check_output_path

HELP = "time evolution of a model (LMG by default) from a simple initial state: I_M(t)"

COLUMNS = ("t", "mmi", "mmi_per_unit", "entropy", "local_entropy", "mx", "my", "mz")


def add_arguments(p):
    add_model_arguments(p)
    p.add_argument("--initial", default="ground",
                   help="initial state: 'excited' (all up), 'ground' (all down) or "
                        "'css:THETA,PHI', the coherent spin state "
                        "qutip.piqs.css(N, THETA, PHI, coordinates='polar') with THETA "
                        "measured from +z")
    p.add_argument("--t-max", type=float, default=20.0, dest="t_max",
                   help="final time")
    p.add_argument("--steps", type=int, default=200,
                   help="number of output intervals: K+1 times from 0 to t-max")
    p.add_argument("--method", default="auto", choices=list(METHODS),
                   help="integrator (see qutip_mmi.evolve; auto: the Chebyshev series)")
    p.add_argument("--atol", type=float, default=1e-10, help="absolute tolerance")
    p.add_argument("--rtol", type=float, default=1e-8, help="relative tolerance")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print one JSON object instead of a table")
    out.add_argument("--csv", metavar="FILE", default=None,
                     help="also write the table as CSV to FILE")
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar")


def initial_state(spec, N):
    """The PIState of the ``--initial`` spelling (no dense piqs matrix: any N)."""
    spec = spec.strip()
    if spec == "excited":
        return coherent_state(N, 0.0)
    if spec == "ground":
        return coherent_state(N, np.pi)
    if spec.startswith("css:"):
        try:
            theta, phi = (float(v) for v in spec[4:].split(","))
        except ValueError:
            raise ValueError(f"--initial {spec!r}: write css:THETA,PHI, e.g. "
                             "css:1.5708,0") from None
        return coherent_state(N, theta, phi)
    raise ValueError(f"--initial must be 'excited', 'ground' or 'css:THETA,PHI', "
                     f"got {spec!r}")


def run(args):
    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if not args.t_max > 0:
        raise ValueError(f"--t-max must be > 0, got {args.t_max}")
    check_output_path(args.csv, "--csv")
    model = model_from_args(args)
    rho0 = initial_state(args.initial, model.N)
    tlist = np.linspace(0.0, args.t_max, args.steps + 1)
    res = evolve(model, rho0, tlist, options={"method": args.method, "atol": args.atol,
                                              "rtol": args.rtol},
                 progress_bar=True if args.progress else None)
    rows = np.column_stack([res.times, res.mmi, res.mmi_per_unit, res.entropy,
                            res.local_entropy, res.magnetization])
    if args.json:
        out = {"model": model.name, **model.parameters, "initial": args.initial}
        out.update(res.as_dict())
        print(json.dumps(out))
        return 0
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(rows.tolist())
    print(f"evolution of {model!r} from {args.initial}")
    print(f"  {res.method} on {res.unknowns} unknowns ({res.layout}), {res.nfev} "
          f"products with the generator, {res.seconds:.3g} s"
          + (f"; table written to {args.csv}" if args.csv else ""))
    print("         t       I_M/N     S(rho_T)      mx         my         mz")
    stride = max(1, (len(rows) - 1) // 20)  # about 20 rows on screen
    for row in rows[::stride]:
        t, _, per, S, _, mx, my, mz = row
        print(f"  {t:8.4g}  {per:10.6f}  {S:10.5f}  {mx:9.5f}  {my:9.5f}  {mz:9.5f}")
    return 0
