"""``qutip-mmi steady``: one steady state and its I_M."""

from __future__ import annotations

import json
import time

from ..information import entropy, local_entropy, magnetization, mutual_information
from ..steadystate import METHODS, steady_state
from ._models import add_model_arguments, model_from_args

HELP = "steady state of a model (LMG by default) and its I_M"


def add_arguments(p):
    add_model_arguments(p)
    p.add_argument("--method", default="auto", choices=METHODS,
                   help="steady-state route: auto (rates for Jz-conserving models, "
                        "else blocks), rates, blocks, piqs (qutip.piqs reference), "
                        "exact (full 2^N, N <= 10)")
    p.add_argument("--force-memory", action="store_true",
                   help="try even if the memory estimate exceeds the available memory")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args):
    model = model_from_args(args)
    options = {"force_memory": True} if args.force_memory else None
    t0 = time.perf_counter()
    rho = steady_state(model, method=args.method, options=options)
    seconds = time.perf_counter() - t0
    mmi = mutual_information(rho)
    out = {
        "model": model.name, **model.parameters,
        "method": rho.info.method,
        "mmi": mmi, "mmi_per_unit": mmi / model.N, "entropy": entropy(rho),
        "local_entropy": local_entropy(rho),
        "magnetization": [float(v) for v in magnetization(rho)],
        "residual": rho.info.residual,
        "seconds": seconds,
    }
    if args.json:
        print(json.dumps(out))
        return 0
    mx, my, mz = out["magnetization"]
    print(f"steady state of {model!r}")
    print(f"  method            {out['method']}  ({seconds:.3g} s, residual "
          f"{out['residual']:.2e})")
    print(f"  I_M               {mmi:.12g}")
    print(f"  I_M / N           {mmi / model.N:.12g}")
    print(f"  S(rho_T)          {out['entropy']:.12g}")
    print(f"  S(rho_1)          {out['local_entropy']:.12g}")
    print(f"  (mx, my, mz)      ({mx:.10f}, {my:.10f}, {mz:.10f})")
    return 0
