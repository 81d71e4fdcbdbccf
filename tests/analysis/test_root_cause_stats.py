"""The statistical helpers against textbook values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from orchestration.analysis.stats import benjamini_hochberg, js_term, predictive_p, two_proportion_p


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
