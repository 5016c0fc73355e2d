"""Benchmark: the whole h = 0.5 mean-field theory curve of the LMG model.

501 values of Gamma in [0, 5] (gamma = 1, exchange = 3), each by
:func:`qutip_mmi.meanfield.mmi_limit` with default options (4 initial
conditions, transients, Newton for fixed points / shooting for cycles, one-period
quadrature at rtol 1e-12). Target: < 60 s on one core.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_meanfield.py [npoints]``.
"""

import sys
import time
import warnings

import numpy as np

from qutip_mmi import LMG
from qutip_mmi.meanfield import lmg_h0_limit, mmi_limit


def main(npoints=501):
    Gammas = np.linspace(0.0, 5.0, npoints)
    mmi_limit(LMG(1, field=0.5, Gamma=2.0))  # compile/import warm-up
    values, kinds, errors, seconds = [], [], [], []
    nmulti = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for G in Gammas:
            t = time.perf_counter()
            r = mmi_limit(LMG(1, field=0.5, Gamma=float(G)))
            seconds.append(time.perf_counter() - t)
            values.append(r.mmi_per_unit)
            kinds.append(r.attractor)
            errors.append(r.error)
            nmulti += r.multiple_attractors
    total = time.perf_counter() - t0
    values = np.array(values)
    seconds = np.array(seconds)
    cyc = np.array([k == "limit cycle" for k in kinds])
    first = Gammas[np.argmax(cyc)]
    print(f"h = 0.5 curve: {npoints} Gamma points in [0, 5]: {total:.2f} s "
          f"({total / npoints * 1e3:.1f} ms/point, slowest {seconds.max() * 1e3:.0f} ms "
          f"at Gamma = {Gammas[np.argmax(seconds)]:.3f})")
    print(f"  attractors: {kinds.count('fixed point')} fixed point, "
          f"{kinds.count('limit cycle')} limit cycle, {kinds.count('other')} other; "
          f"first cycle at Gamma = {first:.3f}; multiple attractors at {nmulti} points; "
          f"{len(caught)} warnings")
    print(f"  max I/N = {values.max():.10f} at Gamma = {Gammas[np.argmax(values)]:.3f}; "
          f"max error estimate {max(errors):.1e}")
    i25 = np.argmin(np.abs(Gammas - 2.5))
    print(f"  I/N at Gamma = 2.0, 2.5, 3.0: "
          + ", ".join(f"{values[np.argmin(np.abs(Gammas - g))]:.10f}"
                      for g in (2.0, 2.5, 3.0)) + f" (index {i25})")
    # h = 0 sanity check against eq. (18) on a few points
    t = time.perf_counter()
    G0 = np.linspace(1.1, 5, 40)
    dev = max(abs(mmi_limit(LMG(1, Gamma=float(g))).mmi_per_unit - lmg_h0_limit(g))
              for g in G0)
    print(f"h = 0: 40 points in {time.perf_counter() - t:.2f} s, max |numeric - eq.18| "
          f"= {dev:.1e}")
    return total


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 501)
