"""``qutip-mmi spectrum``: the Liouvillian eigenvalues nearest zero (or a shift),
or the slowest ones (``--which slowest``)."""

from __future__ import annotations

import json

from ..spectrum import spectrum
from ._models import add_model_arguments, model_from_args

HELP = ("Liouvillian eigenvalues of a model (LMG by default): nearest zero, nearest a "
        "shift, or the slowest")


def add_arguments(p):
    add_model_arguments(p)
    p.add_argument("--k", type=int, default=6, help="number of eigenvalues")
    p.add_argument("--sigma", type=complex, default=None,
                   help="shift, e.g. -1+2j (default: nearest zero, the steady "
                        "state's 0 excluded)")
    p.add_argument("--which", choices=["nearest", "slowest"], default="nearest",
                   help="nearest: the k nearest zero (or --sigma); slowest: the k of "
                        "largest real part (the gap; Arnoldi on exp(tau L), the fast "
                        "route for large N)")
    p.add_argument("--sector", type=int, default=None,
                   help="one q = m - m' sector of a q-conserving model (e.g. LMG at "
                        "field 0; default: all sectors)")
    p.add_argument("--force-memory", action="store_true",
                   help="try even if the memory estimate exceeds the available memory")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args):
    model = model_from_args(args)
    options = {"force_memory": True} if args.force_memory else None
    res = spectrum(model, k=args.k, sigma=args.sigma, sector=args.sector,
                   options=options, which=args.which)
    if args.json:
        out = {"model": model.name, **model.parameters, "k": args.k, "which": args.which}
        out.update(res.as_dict())
        print(json.dumps(out))
        return 0
    print(f"Liouvillian spectrum of {model!r}")
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
