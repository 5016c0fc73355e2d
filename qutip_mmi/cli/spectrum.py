"""``qutip-mmi spectrum``: the slowest Liouvillian eigenvalues of the LMG model."""

from __future__ import annotations

import json

from ..models import LMG
from ..spectrum import spectrum

HELP = "Liouvillian eigenvalues of the LMG model nearest zero (or a shift)"


def add_arguments(p):
    p.add_argument("--N", type=int, required=True, help="number of spins")
    p.add_argument("--exchange", type=float, default=3.0,
                   help="calligraphic J (default 3)")
    p.add_argument("--field", type=float, default=0.0,
                   help="transverse field h (default 0)")
    p.add_argument("--Gamma", type=float, default=1.0,
                   help="collective decay rate (default 1)")
    p.add_argument("--gamma", type=float, default=1.0,
                   help="local pumping rate (default 1)")
    p.add_argument("--k", type=int, default=6, help="number of eigenvalues (default 6)")
    p.add_argument("--sigma", type=complex, default=None,
                   help="shift, e.g. -1+2j (default: nearest zero, steady state "
                        "excluded)")
    p.add_argument("--sector", type=int, default=None,
                   help="one q = m - m' sector (q-conserving models, i.e. field 0; "
                        "default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object "
                   "(default: a table)")


def run(args):
    model = LMG(args.N, exchange=args.exchange, field=args.field, Gamma=args.Gamma,
                gamma=args.gamma)
    res = spectrum(model, k=args.k, sigma=args.sigma, sector=args.sector)
    if args.json:
        out = {"N": args.N, "exchange": args.exchange, "field": args.field,
               "Gamma": args.Gamma, "gamma": args.gamma, "k": args.k}
        out.update(res.as_dict())
        print(json.dumps(out))
        return 0
    print(f"LMG Liouvillian spectrum, N={args.N}, exchange={args.exchange}, "
          f"field={args.field}, Gamma={args.Gamma}, gamma={args.gamma}")
    print(f"  method   {res.method} ({res.seconds:.3g} s)")
    if res.zero_eigenvalue is not None:
        print(f"  zero     {res.num_zero} zero eigenvalue(s), |lambda_0| = "
              f"{abs(res.zero_eigenvalue):.1e}")
    print(f"  gap      {res.gap:.12g}")
    sectors = res.sectors if res.sectors is not None else [None] * len(res.eigenvalues)
    print("    Re(lambda)          Im(lambda)          residual   sector")
    for z, r, q in zip(res.eigenvalues, res.residuals, sectors):
        print(f"  {z.real:18.12g}  {z.imag:18.12g}  {r:9.1e}   "
              f"{'mixed' if q is None else q}")
    return 0
