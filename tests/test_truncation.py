"""The block engine's truncation in q: only the blocks q <= q_max are solved."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck, Phase

import qutip_mmi as qm
from qutip_mmi.steadystate import _qcut, blocks
from qutip_mmi.steadystate._hermitian import HermitianIndex, HermitianReduction
from qutip_mmi.steadystate.liouvillian import QLayout, vector_from_state


def _solve(model, **options):
    return blocks.BlockSolver(options).solve(model)


def _assert_same_state(a, b, atol=1e-13):
    for x, y in zip(a.blocks, b.blocks):
        np.testing.assert_allclose(x, y, rtol=0, atol=atol)
    assert qm.mutual_information(a) == pytest.approx(qm.mutual_information(b), abs=1e-12)


GENERAL = qm.PIModel(48, {"x": 0.4, "xz": 0.3, "zx": 0.3, "zz": 0.2},
                     [qm.CollectiveJump(2.0, minus=1, plus=0.3j), qm.CollectiveJump(0.5, z=1)],
                     emission=0.1, pumping=0.5, dephasing=0.2,
                     local=[qm.LocalJump(0.3, plus=0.5, minus=1.0, z=0.2)])


@pytest.mark.parametrize("model", [qm.LMG(60, field=0.5, Gamma=2.0), GENERAL],
                         ids=["LMG", "general"])
def test_truncated_solve_is_the_whole_space_solve(model):
    cut = _solve(model)
    whole = _solve(model, truncate=False)
    assert cut.info.extra["q_max"] < model.N
    assert whole.info.extra["q_max"] == model.N
    assert cut.info.residual < 1e-13
    _assert_same_state(cut, whole)
    # the blocks left out are zero, and the kept top blocks negligible
    q_max = cut.info.extra["q_max"]
    peak = max(np.abs(rho).max() for rho in cut.blocks)
    for rho in cut.blocks:
        assert np.abs(np.triu(rho, q_max + 1)).max(initial=0) == 0
        assert np.abs(np.triu(rho, q_max - 1)).max(initial=0) <= 1e-18 * peak


def test_q_max_grows_where_coherences_are_broad():
    # LMG at h = 1: the weights reach 1e-18 only at q ~ 52 of 80, beyond the
    # first cut (43): the solve grows q_max and still equals the whole space
    model = qm.LMG(80, field=1.0, Gamma=0.5)
    assert _qcut.first_cut(80) == 43
    cut = _solve(model)
    assert 50 <= cut.info.extra["q_max"] < 80
    _assert_same_state(cut, _solve(model, truncate=False))


def test_grown_cut_extrapolates_the_decay():
    # a state whose block weights fall by one decade per q reaches 1e-18 at q = 18
    layout = QLayout(40, range(-10, 11))
    index = HermitianIndex(layout)
    y = np.concatenate([np.full(b - a, 10.0 ** -q) for q, (a, b) in
                        enumerate(zip(index.block_starts[:-1], index.block_starts[1:]))])
    assert _qcut.tail_weight(index, y) == pytest.approx(1e-9)
    assert _qcut.grown_cut(index, y, 40) == 20     # at most 2 x 10
    y[index.block_starts[6]:] *= 0.0                  # blocks 6..10 vanish
    assert _qcut.needed_cut(index, y) == 7          # 6 and 7 below 1e-22


def test_reported_residual_counts_the_blocks_left_out():
    # a state cut below where its weights are negligible: the residual on
    # every q (brute force, the engine's norm on the real unknowns) is large,
    # and the engine's bound is not smaller
    model = qm.LMG(30, field=0.5, Gamma=1.5)
    state = _solve(model, truncate=False)
    whole = HermitianReduction(QLayout(30, range(-30, 31)), model)
    bounds = []
    for q_max in (3, 8, 20):
        layout = QLayout(30, range(-q_max, q_max + 1))
        red = HermitianReduction(layout, model)
        y = red.from_full(vector_from_state(layout, state))
        brute = whole.residual(_qcut.fitted(y, whole.size))
        bound = _qcut.full_residual(model, red, y)
        assert brute <= bound * (1 + 1e-9) and bound <= 10 * brute
        bounds.append(bound)
    assert bounds[0] > 1e-6 and bounds[0] > bounds[1] > bounds[2]


def test_sweep_carries_q_max_and_equals_cold_solves():
    solver = blocks.BlockSolver()
    for G in (1.8, 2.0, 2.2, 0.6):
        warm = solver.solve(qm.LMG(60, field=0.5, Gamma=G))
        assert warm.info.extra["q_max"] < 60
        # (whether stale factors are kept depends on measured times; with them
        # GMRES may stop at its bound, 1e-12, instead of its aim)
        assert warm.info.residual < 1e-12
        cold = _solve(qm.LMG(60, field=0.5, Gamma=G), truncate=False)
        for a, b in zip(warm.blocks, cold.blocks):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
        assert qm.mutual_information(warm) == pytest.approx(qm.mutual_information(cold),
                                                            rel=1e-10)
    assert solver._q_max <= 60
    assert all(q <= warm.info.extra["q_max"] for q in solver._factors or {})


def test_truncate_option_is_checked():
    with pytest.raises(ValueError, match="truncate"):
        _solve(qm.LMG(40, field=0.5), truncate="yes")


def test_memory_estimate_of_the_kept_blocks():
    N = 320
    whole = blocks.blocks_memory(N)
    assert blocks.blocks_memory(N, q_max=N) == whole
    kept = [blocks.blocks_memory(N, q_max=q) for q in (0, 40, 80, 160)]
    assert kept == sorted(kept) and kept[-1] < whole
    assert _qcut.elements_above(N, 0) == (QLayout(N, range(-N, N + 1)).size
                                            - (N // 2 + 1) ** 2) / 2


@settings(max_examples=8, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(40, 56), st.floats(0.1, 0.6), st.floats(0.5, 4.0), st.floats(-0.5, 0.5),
       st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_random_models_truncated_equal_whole_space(N, h, Gamma, zz, emission, dephasing):
    model = qm.PIModel(N, {"x": h, "zz": zz, "xx": -1.0},
                       [qm.CollectiveJump(Gamma, minus=1)], pumping=1.0,
                       emission=emission, dephasing=dephasing)
    cut = _solve(model)
    _assert_same_state(cut, _solve(model, truncate=False), atol=1e-12)
    assert cut.info.residual < 1e-12
