"""The ``qutip-mmi`` command line: thin wrappers around the library.

Subcommands register themselves in :data:`SUBCOMMANDS` (name -> (add_arguments,
run)); other modules (mean field, sweeps, figures) add theirs the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

__all__ = ["main", "SUBCOMMANDS"]

SUBCOMMANDS = {}


def subcommand(name, help):
    def register(pair):
        add, run = pair
        SUBCOMMANDS[name] = (help, add, run)
        return pair
    return register


# ------------------------------------------------------------------ steady
def _add_model_args(p, field=0.0, Gamma=1.0):
    p.add_argument("--exchange", type=float, default=3.0, help="calligraphic J (default 3)")
    p.add_argument("--field", type=float, default=field, help="transverse field h")
    p.add_argument("--Gamma", type=float, default=Gamma, help="collective decay rate")
    p.add_argument("--gamma", type=float, default=1.0, help="local pumping rate")


def _steady_args(p):
    p.add_argument("--N", type=int, required=True, help="number of spins")
    _add_model_args(p)
    p.add_argument("--method", default="auto",
                   choices=["auto", "rates", "blocks", "piqs", "exact"])
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _steady_run(args):
    from . import (LMG, steady_state, mutual_information, entropy, magnetization,
                   local_entropy)
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


subcommand("steady", "steady state of the LMG model and its I_M")((_steady_args, _steady_run))


def _load_plugins():
    # modules that register their own subcommands on import
    import importlib
    for mod in ("meanfield", "sweep", "figures", "groundstate"):
        importlib.import_module(f"qutip_mmi.{mod}")


def main(argv=None) -> int:
    """Entry point of the ``qutip-mmi`` console script."""
    _load_plugins()
    parser = argparse.ArgumentParser(
        prog="qutip-mmi",
        description="Multipartite mutual information of permutation-invariant "
                    "open quantum systems.")
    parser.add_argument("--version", action="store_true", help="print the version")
    sub = parser.add_subparsers(dest="command")
    for name, (help, add, _) in SUBCOMMANDS.items():
        add(sub.add_parser(name, help=help))
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__
        print(f"qutip-mmi {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return SUBCOMMANDS[args.command][2](args) or 0
    except (ValueError, TypeError, MemoryError) as exc:
        print(f"qutip-mmi {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
