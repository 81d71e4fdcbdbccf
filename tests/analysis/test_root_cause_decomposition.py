"""The mix/rate decomposition: a hand-computed example and the exact identity on random inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.analysis import decompose, mix_rate_effects


def _leaves(rows):
    return pd.DataFrame(rows, columns=["metric", "period", "channel", "denominator", "numerator"])


def test_two_segment_example_by_hand():
    # A: 50/100 -> 120/300 (0.5 -> 0.4); B: 10/100 -> 10/100 (0.1 both). R: 60/200 = 0.3 -> 130/400 = 0.325.
    # mix_A = (0.75 - 0.5)(0.5 + 0.4)/2 = 0.1125   rate_A = (0.4 - 0.5)(0.5 + 0.75)/2 = -0.0625
    # mix_B = (0.25 - 0.5)(0.1 + 0.1)/2 = -0.025   rate_B = 0
    counts = _leaves([("m", "2026-03", "A", 100, 50), ("m", "2026-04", "A", 300, 120),
                      ("m", "2026-03", "B", 100, 10), ("m", "2026-04", "B", 100, 10)])
    out = decompose(counts, ["channel"]).set_index("value")
    assert out.loc["A", "mix_effect"] == pytest.approx(0.1125, abs=1e-15)
    assert out.loc["A", "rate_effect"] == pytest.approx(-0.0625, abs=1e-15)
    assert out.loc["B", "mix_effect"] == pytest.approx(-0.025, abs=1e-15)
    assert out.loc["B", "rate_effect"] == pytest.approx(0.0, abs=1e-15)
    assert out["overall_rate_before"].iloc[0] == pytest.approx(0.3)
    assert out["overall_rate_after"].iloc[0] == pytest.approx(0.325)
    assert (out["mix_effect"] + out["rate_effect"]).sum() == pytest.approx(0.025, abs=1e-15)


def test_new_and_vanished_segments_are_all_mix():
    # C appears (40/100), B vanishes (10/100). R: 60/200 = 0.3 -> 90/200 = 0.45.
    counts = _leaves([("m", "p1", "A", 100, 50), ("m", "p2", "A", 100, 50),
                      ("m", "p1", "B", 100, 10), ("m", "p2", "C", 100, 40)])
    out = decompose(counts, ["channel"]).set_index("value")
    assert out.loc["C", "rate_effect"] == 0 and out.loc["C", "mix_effect"] == pytest.approx(0.5 * 0.4)
    assert out.loc["B", "rate_effect"] == 0 and out.loc["B", "mix_effect"] == pytest.approx(-0.5 * 0.1)
    assert np.isnan(out.loc["C", "rate_before"]) and np.isnan(out.loc["B", "rate_after"])
    assert (out["mix_effect"] + out["rate_effect"]).sum() == pytest.approx(0.45 - 0.3, abs=1e-15)


@pytest.mark.parametrize("seed", range(30))
def test_identity_holds_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 40))
    n0 = rng.integers(0, 5000, size).astype(float) * (rng.random(size) > 0.2)  # some absent before
    n1 = rng.integers(0, 5000, size).astype(float) * (rng.random(size) > 0.2)  # some absent after
    if seed % 3 == 0:  # non-integer counts (weighted leads) must work too
        n0, n1 = n0 * 0.37, n1 * 1.91
    n0[0], n1[-1] = max(n0[0], 1.0), max(n1[-1], 1.0)
    k0, k1 = n0 * rng.random(size), n1 * rng.random(size)
    _, _, _, _, mix, rate = mix_rate_effects(n0, k0, n1, k1)
    change = k1.sum() / n1.sum() - k0.sum() / n0.sum()
    assert abs((mix + rate).sum() - change) <= 1e-9
    assert np.all(rate[(n0 == 0) | (n1 == 0)] == 0)


def test_identity_on_generated_leaves_for_every_dimension():
    from orchestration.analysis.scenarios import generate_scenario

    scenario = generate_scenario(7, volume=3000, n_dims=5, n_periods=3, mix_shift=True)
    out = decompose(scenario.counts, scenario.dimensions)
    out["total"] = out["mix_effect"] + out["rate_effect"]
    check = out.groupby(["period_from", "dimension"]).agg(
        total=("total", "sum"), before=("overall_rate_before", "first"), after=("overall_rate_after", "first"))
    assert len(check) == 2 * 5
    assert ((check["total"] - (check["after"] - check["before"])).abs() <= 1e-9).all()


def test_empty_period_is_refused_by_the_array_function():
    with pytest.raises(ValueError, match="no denominator"):
        mix_rate_effects([0, 0], [0, 0], [1, 2], [0, 1])
