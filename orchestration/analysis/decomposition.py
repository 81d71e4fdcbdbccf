"""Exact symmetric mix/rate decomposition of the change of a ratio R = Σ wᵢ·rᵢ along one dimension.

    mixᵢ  = (w₁ᵢ − w₀ᵢ)·(r₀ᵢ + r₁ᵢ)/2
    rateᵢ = (r₁ᵢ − r₀ᵢ)·(w₀ᵢ + w₁ᵢ)/2
    mixᵢ + rateᵢ = w₁ᵢr₁ᵢ − w₀ᵢr₀ᵢ   (expand the products: the cross terms cancel)

so Σᵢ(mixᵢ + rateᵢ) = R₁ − R₀ with no residual, whatever r is for a segment with no volume.

Empty segments. A value present in only one period has no rate in the other. Because its weight
there is 0, the identity holds for *any* rate we assign; we assign the rate of the period in which
it is present (r₀ᵢ := r₁ᵢ for a new value, r₁ᵢ := r₀ᵢ for a vanished one). Its rate effect is then
exactly 0 and the whole of its contribution, w₁ᵢr₁ᵢ (or −w₀ᵢr₀ᵢ), is mix: a segment appearing or
disappearing is volume moving, not a rate changing. A value absent in both periods is dropped.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .leaves import DEFAULT_COLUMNS, CountColumns, PeriodPair, iter_period_pairs
from .stats import two_proportion_p

DECOMPOSITION_COLUMNS = [
    "metric", "period_from", "period_to", "dimension", "value",
    "denominator_before", "numerator_before", "denominator_after", "numerator_after",
    "share_before", "share_after", "rate_before", "rate_after",
    "mix_effect", "rate_effect", "p_value",
    "overall_rate_before", "overall_rate_after",
]


def mix_rate_effects(n0, k0, n1, k1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-segment (w0, w1, r0, r1, mix, rate) for segment counts of one dimension.

    Segments empty in both periods get NaN rates and zero effects. Raises if a period is empty
    as a whole: the overall rate, and so its change, is undefined.
    """
    n0, k0, n1, k1 = (np.asarray(x, dtype=float) for x in (n0, k0, n1, k1))
    total0, total1 = n0.sum(), n1.sum()
    if total0 <= 0 or total1 <= 0:
        raise ValueError("a period has no denominator at all; the overall rate is undefined")
    w0, w1 = n0 / total0, n1 / total1
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = np.where(n0 > 0, k0 / n0, np.nan)
        r1 = np.where(n1 > 0, k1 / n1, np.nan)
    r0 = np.where(np.isnan(r0), r1, r0)  # new value: no rate effect, all mix
    r1 = np.where(np.isnan(r1), r0, r1)  # vanished value: likewise
    both_empty = np.isnan(r0)
    r0f, r1f = np.nan_to_num(r0), np.nan_to_num(r1)
    mix = np.where(both_empty, 0.0, (w1 - w0) * (r0f + r1f) / 2)
    rate = np.where(both_empty, 0.0, (r1f - r0f) * (w0 + w1) / 2)
    return w0, w1, r0, r1, mix, rate


def decompose_pair(pair: PeriodPair) -> pd.DataFrame:
    """Decomposition rows for every dimension of one (metric, period pair); empty if a period is empty."""
    total_n0, total_k0, total_n1, total_k1 = pair.totals
    if total_n0 <= 0 or total_n1 <= 0:
        return pd.DataFrame(columns=DECOMPOSITION_COLUMNS)
    frames = []
    for j, dim in enumerate(pair.dimensions):
        size = len(pair.levels[j])
        codes = pair.codes[:, j]
        n0 = np.bincount(codes, weights=pair.n0, minlength=size)
        k0 = np.bincount(codes, weights=pair.k0, minlength=size)
        n1 = np.bincount(codes, weights=pair.n1, minlength=size)
        k1 = np.bincount(codes, weights=pair.k1, minlength=size)
        w0, w1, r0, r1, mix, rate = mix_rate_effects(n0, k0, n1, k1)
        present = (n0 > 0) | (n1 > 0)
        frames.append(pd.DataFrame({
            "metric": pair.metric, "period_from": pair.period_from, "period_to": pair.period_to,
            "dimension": dim, "value": np.asarray(pair.levels[j], dtype=object),
            "denominator_before": n0, "numerator_before": k0, "denominator_after": n1, "numerator_after": k1,
            "share_before": w0, "share_after": w1,
            "rate_before": np.where(n0 > 0, r0, np.nan), "rate_after": np.where(n1 > 0, r1, np.nan),
            "mix_effect": mix, "rate_effect": rate, "p_value": two_proportion_p(k0, n0, k1, n1),
            "overall_rate_before": total_k0 / total_n0, "overall_rate_after": total_k1 / total_n1,
        }).loc[present])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DECOMPOSITION_COLUMNS)


def decompose(counts: pd.DataFrame, dimensions: Sequence[str] | None = None, *,
              columns: CountColumns = DEFAULT_COLUMNS) -> pd.DataFrame:
    """Mix/rate decomposition for every metric, consecutive period pair and dimension.

    ``counts`` is a leaf table (metric, period, dimension columns, denominator, numerator);
    ``dimensions`` defaults to every other column. One row per (metric, period_from, period_to,
    dimension, value) with the value's volumes, shares, rates, mix_effect and rate_effect; for each
    (metric, period pair, dimension), Σ(mix_effect + rate_effect) = overall_rate_after −
    overall_rate_before to floating-point precision. ``p_value`` is the value's own pooled
    two-proportion z-test of its rate change (no multiple-testing control; NaN when a period has
    no volume for that value).
    """
    frames = [decompose_pair(pair) for pair in iter_period_pairs(counts, dimensions, columns)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=DECOMPOSITION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[DECOMPOSITION_COLUMNS]
