"""``qutip-mmi steady``: one steady state and its I_M."""

from __future__ import annotations

import json
import time

from ..information import entropy, local_entropy, magnetization, mutual_information
from ..models import LMG
from ..steadystate import steady_state

HELP = "steady state of the LMG model and its I_M"


def _add_model_args(p, field=0.0, Gamma=1.0):
    p.add_argument("--exchange", type=float, default=3.0, help="calligraphic J (default 3)")
    p.add_argument("--field", type=float, default=field, help="transverse field h")
    p.add_argument("--Gamma", type=float, default=Gamma, help="collective decay rate")
    p.add_argument("--gamma", type=float, default=1.0, help="local pumping rate")


def add_arguments(p):
    p.add_argument("--N", type=int, required=True, help="number of spins")
    _add_model_args(p)
    p.add_argument("--method", default="auto",
                   choices=["auto", "rates", "blocks", "piqs", "exact"])
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args):
    model = LMG(args.N, exchange=args.exchange, field=args.field, Gamma=args.Gamma,
                gamma=args.gamma)
    t0 = time.perf_counter()
    rho = steady_state(model, method=args.method)
    seconds = time.perf_counter() - t0
    mmi = mutual_information(rho)
    out = {
        "N": args.N, "exchange": args.exchange, "field": args.field,
        "Gamma": args.Gamma, "gamma": args.gamma,
        "method": rho.info.method if hasattr(rho, "info") else args.method,
        "mmi": mmi, "mmi_per_unit": mmi / args.N, "entropy": entropy(rho),
        "local_entropy": local_entropy(rho),
        "magnetization": [float(v) for v in magnetization(rho)],
        "residual": rho.info.residual if hasattr(rho, "info") else None,
        "seconds": seconds,
    }
    if args.json:
        print(json.dumps(out))
        return 0
    mx, my, mz = out["magnetization"]
    print(f"LMG steady state, N={args.N}, exchange={args.exchange}, field={args.field}, "
          f"Gamma={args.Gamma}, gamma={args.gamma}")
    print(f"  method            {out['method']}  ({seconds:.3g} s, residual "
          f"{out['residual'] if out['residual'] is not None else float('nan'):.2e})")
    print(f"  I_M               {mmi:.12g}")
    print(f"  I_M / N           {mmi / args.N:.12g}")
    print(f"  S(rho_T)          {out['entropy']:.12g}")
    print(f"  S(rho_1)          {out['local_entropy']:.12g}")
    print(f"  (mx, my, mz)      ({mx:.10f}, {my:.10f}, {mz:.10f})")
    return 0


