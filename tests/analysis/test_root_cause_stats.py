"""The statistical helpers against textbook values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from orchestration.analysis.stats import benjamini_hochberg, betabinom_tails, js_term, predictive_p, two_proportion_p


def test_benjamini_hochberg_matches_the_textbook_procedure():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # sorted 0.005, 0.01, 0.03, 0.04 -> ×4/1, ×4/2, ×4/3, ×4/4 = 0.02, 0.02, 0.04, 0.04 (already monotone)
    q = benjamini_hochberg(p)
    assert q[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(q[4])


def test_two_proportion_p_known_value():
    # 50/100 vs 65/100: pooled 0.575, se = sqrt(.575·.425·.02) = 0.069911, z = 2.1456
    assert float(two_proportion_p(50, 100, 65, 100)) == pytest.approx(2 * stats.norm.sf(0.15 / 0.0699106), rel=1e-4)


def test_predictive_p_is_calibrated_under_the_null():
    rng = np.random.default_rng(3)
    for n0, n1, rate in ((40, 60, 0.2), (3000, 3500, 0.3)):
        k0 = rng.binomial(n0, rate, 4000)
        k1 = rng.binomial(n1, rate, 4000)
        p = predictive_p(k1, n1, (k0 + 1) / (n0 + 2), n0 + 2)
        assert np.mean(p < 0.05) <= 0.06
        assert np.mean(p < 0.05) >= 0.02  # not uselessly conservative either


def test_js_term_bounds():
    assert float(js_term(0.3, 0.3)) == 0.0
    assert float(js_term(1.0, 0.0)) == pytest.approx(0.5)  # half of the maximal 1 bit sits in each element
    assert float(js_term(0.2, 0.4)) > 0


def test_beta_binomial_tails_equal_scipys_cdf_and_sf():
    # scipy sums the pmf one k at a time; ours sums pmf ratios in blocks: the same numbers
    rng = np.random.default_rng(7)
    n = rng.integers(0, 400, 3000).astype(float)
    n[:20] = rng.integers(1000, 30000, 20)  # tiny-rate leaves of a big period: exact test, large n
    k = np.floor(rng.random(n.size) * (n + 1))
    k[20:25], k[25:30], k[30:32] = 0, n[25:30], n[30:32] + 2  # the support's edges, and beyond it
    a, b = rng.random(n.size) * 60 + 0.05, rng.random(n.size) * 60 + 0.05
    a[40:45], b[45:50] = 1e-6, 1e-6
    lower, upper = betabinom_tails(k, n, a, b)
    assert lower == pytest.approx(stats.betabinom.cdf(k, n, a, b), abs=1e-9)
    assert upper == pytest.approx(stats.betabinom.sf(k - 1, n, a, b), abs=1e-9)
    # by hand: n = 2, a = b = 1 is uniform on {0, 1, 2}
    lo, up = betabinom_tails(np.array([0.0, 1.0, 2.0]), 2.0, 1.0, 1.0)
    assert lo == pytest.approx([1 / 3, 2 / 3, 1.0]) and up == pytest.approx([1.0, 2 / 3, 1 / 3])
