"""``qutip-mmi meanfield``: the N -> infinity limit of I_M/N for the LMG model."""

from __future__ import annotations

import json
import warnings

from ..meanfield import MultipleAttractorsWarning, mmi_limit

HELP = 'mean-field (N -> infinity) limit of I_M/N for the LMG model'

def add_arguments(p):
    p.add_argument("--exchange", type=float, default=3.0, help="calligraphic J (default 3)")
    p.add_argument("--field", type=float, default=0.0, help="transverse field h")
    p.add_argument("--Gamma", type=float, default=1.0, help="collective decay rate")
    p.add_argument("--gamma", type=float, default=1.0, help="local pumping rate")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args):

    from ..models import LMG
    model = LMG(1, exchange=args.exchange, field=args.field, Gamma=args.Gamma,
                gamma=args.gamma)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MultipleAttractorsWarning)
        res = mmi_limit(model)
    out = {"exchange": args.exchange, "field": args.field, "Gamma": args.Gamma,
           "gamma": args.gamma, **res.as_dict()}
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"LMG mean-field limit, exchange={args.exchange}, field={args.field}, "
          f"Gamma={args.Gamma}, gamma={args.gamma}")
    print(f"  lim I_M / N       {res.mmi_per_unit:.12g}  (error ~{res.error:.1e})")
    print(f"  attractor         {res.attractor}"
          + (f", period {res.period:.10g}" if res.period else ""))
    mx, my, mz = res.avg_magnetization
    print(f"  <m>               ({mx:.10f}, {my:.10f}, {mz:.10f})")
    if res.floquet_multipliers.size:
        print("  Floquet           " + ", ".join(
            f"{z.real:.8g}{z.imag:+.8g}j" for z in res.floquet_multipliers))
    print(f"  hyperbolic        {res.hyperbolic}")
    for w in caught:
        print(f"  warning: {w.message}")
    return 0
