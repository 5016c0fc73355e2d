"""``qutip-mmi meanfield``: the N -> infinity limit of I_M/N of a model."""

from __future__ import annotations

import json
import warnings

from ..meanfield import MultipleAttractorsWarning, mmi_limit
from ._models import add_model_arguments, model_from_args

HELP = "mean-field (N -> infinity) limit of I_M/N of a model (LMG by default)"


def add_arguments(p):
    add_model_arguments(p, N=False)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args):
    # the mean-field drift does not depend on N; N = 1 is only a placeholder
    model = model_from_args(args, N=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MultipleAttractorsWarning)
        res = mmi_limit(model)
    params = {k: v for k, v in model.parameters.items() if k != "N"}
    out = {"model": model.name, **params, **res.as_dict()}
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"mean-field limit of {model.name}("
          + ", ".join(f"{k}={v!r}" for k, v in params.items()) + ")")
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
