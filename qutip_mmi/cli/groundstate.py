"""``qutip-mmi groundstate``: I_M of the LMG ground state."""

from __future__ import annotations

import json

from ..groundstate import ground_state_mmi

HELP = "I_M of the LMG ground state (J = N/2 sector)"


def add_arguments(p):
    p.add_argument("--N", type=int, required=True, help="number of spins")
    p.add_argument("--exchange", type=float, default=-1.0,
                   help="calligraphic J (negative: ferromagnetic)")
    p.add_argument("--field", type=float, default=0.0, help="transverse field h")
    p.add_argument("--force-memory", action="store_true",
                   help="try even if the memory estimate exceeds the available memory")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args):
    options = {"force_memory": True} if args.force_memory else None
    r = ground_state_mmi(args.N, args.exchange, args.field, options=options)
    if args.json:
        print(json.dumps(r.as_dict()))
        return 0
    print(r)
    return 0
