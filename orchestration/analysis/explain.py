"""Which dimension values (and value pairs) explain the change of a conversion rate between two periods.

The search, in the order it runs (the reasons are in docs/root_cause.md):

1. **Gate.** Nothing is returned unless the change is significant: the overall rate's change (raw,
   or net of mix) at ``gate_alpha``, or one candidate's own change at family-wise level
   ``segment_gate_alpha`` (Bonferroni). Published localisation methods skip this step because they
   assume a detector already fired; on funnel data that is what makes them report a "root cause"
   for most periods in which nothing happened. The segment arm exists because a large drop in a
   small segment does not move the overall rate beyond its noise.
2. **Expected numerator per candidate** (every value, every value pair across two dimensions, with
   at least ``min_volume`` entities in both periods): the before-rate, shrunk toward a prior
   (empirical-Bayes beta; singles toward the overall rate, pairs toward the main-effects model's
   rate) and adjusted for the change of composition inside the segment (see ``baseline``), times
   the after-volume. ``contribution`` = observed − expected numerator.
3. **Significance** of each candidate's own change from the beta-binomial posterior predictive
   (baseline sampling error in the Beta, current-period sampling error in the binomial),
   Benjamini–Hochberg across all candidates.
4. **Greedy selection.** Take the significant candidate with the largest |contribution|; if it is a
   single value and one of its pairs explains ≥ ``child_share`` of its deviation (or explains most
   of it and "only the pair changed" fits better than "the whole value changed"), take the pair.
   Remove the chosen segment's leaves, recompute, repeat until nothing is significant.
5. **Mix.** Separately, per dimension, values whose volume grew unlike the dimension's typical
   (median) growth, and whose excess volume moved the overall rate by a material amount
   (≥ ``mix_min_se`` standard errors of the overall change), are reported as kind ``mix``, greedily
   with the same take-then-neutralise loop.

Rows that come out carry Adtributor's explanatory power (ratio-metric form) and surprise
(Jensen–Shannon, numerator plus denominator shares) for the reader, but neither is used to select.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .baseline import fit_main_effects
from .candidates import Aggregates, CandidateSpace
from .leaves import DEFAULT_COLUMNS, CountColumns, PeriodPair, iter_period_pairs
from .stats import benjamini_hochberg, js_term, predictive_p, predictive_sd, two_proportion_p

CANDIDATE_COLUMNS = [
    "metric", "period_from", "period_to", "rank", "kind",
    "dimension_1", "value_1", "dimension_2", "value_2",
    "denominator_before", "numerator_before", "denominator_after", "numerator_after",
    "share_before", "share_after", "rate_before", "rate_after",
    "expected_denominator", "expected_numerator", "contribution", "explanatory_power", "surprise",
    "mix_effect", "rate_effect", "p_value", "q_value", "is_significant",
    "overall_rate_before", "overall_rate_after", "overall_p_value",
]


WEAK_PRIOR_STRENGTH = 2.0


@dataclass(frozen=True)
class RootCauseConfig:
    """Knobs of the search; the defaults are the ones the benchmark in bench/root_cause measured."""

    alpha: float = 0.01  # Benjamini–Hochberg false-discovery level across candidates
    gate_alpha: float = 0.05  # the overall change must be significant at this level ...
    segment_gate_alpha: float = 0.01  # ... or one candidate's change at this family-wise (Bonferroni) level
    min_volume: float = 30  # entities per period a candidate needs (MacroBase-style minimum support)
    min_relative_change: float = 0.0  # a rate cause must also move its segment's rate by this share
    include_pairs: bool = True
    max_causes: int = 5
    child_share: float = 0.9  # prefer a pair that explains this share of its parent's deviation
    child_min_share: float = 0.5  # ... or this share when "only the pair changed" fits better
    ridge: float = 1.0  # penalty of the baseline main-effects logistic model
    max_prior_strength: float = 5000.0
    mix_min_se: float = 2.0  # a mix cause must move the overall rate by this many SEs of its change
    max_mix_causes: int = 3


@dataclass
class OverallChange:
    entities_before: float
    converted_before: float
    entities_after: float
    converted_after: float
    p_value_raw: float
    p_value_net_of_mix: float
    p_value_segments: float = float("nan")  # Bonferroni-adjusted smallest candidate p-value
    gate_passed: bool = False

    @property
    def rate_before(self) -> float:
        return self.converted_before / self.entities_before if self.entities_before else float("nan")

    @property
    def rate_after(self) -> float:
        return self.converted_after / self.entities_after if self.entities_after else float("nan")

    @property
    def p_value(self) -> float:
        return float(np.nanmin([self.p_value_raw, self.p_value_net_of_mix, 1.0]))


@dataclass
class ExplainResult:
    overall: OverallChange
    candidates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CANDIDATE_COLUMNS))


def _prior_strength(n0: np.ndarray, k0: np.ndarray, mu: np.ndarray, upper: float) -> float:
    """Method-of-moments beta prior strength M (a + b) from the extra-binomial spread of k0 around n0·mu."""
    ok = (n0 >= 10) & (mu > 0) & (mu < 1)
    if ok.sum() < 3:
        return WEAK_PRIOR_STRENGTH  # too few segments to learn how alike they are: barely shrink
    n, k, m = n0[ok], k0[ok], mu[ok]
    binom = n * m * (1 - m)
    rho = (np.sum((k - n * m) ** 2 - binom)) / np.sum(binom * (n - 1))
    if not np.isfinite(rho) or rho <= 0:
        return upper
    return float(np.clip(1 / rho - 1, 1.0, upper))


class _Evaluator:
    """Expected numerators and p-values of candidates, with priors fixed from the full baseline."""

    def __init__(self, space: CandidateSpace, full: Aggregates, pair: PeriodPair, config: RootCauseConfig):
        self.space = space
        total_n0, total_k0, _, _ = pair.totals
        grand = total_k0 / total_n0
        with np.errstate(divide="ignore", invalid="ignore"):
            model_rate = np.where(full.n0 > 0, full.m0 / full.n0, grand)
        strength = np.empty(space.count)
        for gi, g in enumerate(space.groupings):
            lo, hi = space.offsets[gi], space.offsets[gi + 1]
            if len(g) == 1:
                # Values of one dimension shrink toward the overall rate, as strongly as the
                # spread of that dimension's value rates says (channels differ more than regions).
                strength[lo:hi] = _prior_strength(full.n0[lo:hi], full.k0[lo:hi], np.full(hi - lo, grand),
                                                  min(config.max_prior_strength, total_n0))
                continue
            # Value pairs shrink toward the main-effects model; interactions differ between
            # dimension pairs (industry × company size may have strong ones), so each gets its M.
            strength[lo:hi] = _prior_strength(full.n0[lo:hi], full.k0[lo:hi], model_rate[lo:hi],
                                              config.max_prior_strength)
            # The model's pair rate is itself estimated from the two parent values: it cannot be
            # more certain than they are (cap M at the harmonic combination of their volumes).
            first_n = full.n0[space.offsets[g[0]]:space.offsets[g[0] + 1]]
            second_n = full.n0[space.offsets[g[1]]:space.offsets[g[1] + 1]]
            with np.errstate(divide="ignore"):
                cap = 1.0 / (1.0 / first_n[:, None] + 1.0 / second_n[None, :])
            strength[lo:hi] = np.minimum(strength[lo:hi], np.nan_to_num(cap.ravel(), nan=0.0))
        self.strength = strength

    def evaluate(self, agg: Aggregates, grand: float,
                 index: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(expected rate, expected numerator, p-value, predictive sd of the numerator) after, for ``index``.

        ``agg`` holds the candidates' sums over the leaves still in play and ``grand`` their overall
        before-rate. Prior means are recomputed from them: once a cause's leaves are removed, a
        pair's model rate must be the one of its remaining leaves, not of all of them.
        """
        n0, k0, n1, k1, m0, m1 = agg.n0, agg.k0, agg.n1, agg.k1, agg.m0, agg.m1
        strength = self.strength[index]
        with np.errstate(divide="ignore", invalid="ignore"):
            prior = np.where(self.space.is_pair[index] & (n0 > 0), m0 / n0, grand)
        with np.errstate(divide="ignore", invalid="ignore"):
            composition = np.where((m0 > 0) & (n1 > 0), (m1 / n1) / (m0 / n0), 1.0)
            shrunk = (k0 + strength * prior) / (n0 + strength)
        rate = np.clip(np.nan_to_num(shrunk * composition, nan=0.0), 0.0, 1.0)
        expected = n1 * rate
        p = predictive_p(k1, n1, rate, n0 + strength)
        return rate, expected, p, predictive_sd(n1, rate, n0 + strength)


def _overall(pair: PeriodPair, p_leaf: np.ndarray) -> OverallChange:
    n0, k0, n1, k1 = pair.totals
    if n0 <= 0 or n1 <= 0:
        return OverallChange(n0, k0, n1, k1, float("nan"), float("nan"))
    p_raw = float(two_proportion_p(k0, n0, k1, n1))
    m0, m1 = float(pair.n0 @ p_leaf), float(pair.n1 @ p_leaf)
    composition = (m1 / n1) / (m0 / n0) if m0 > 0 else 1.0
    rate = min(max(k0 / n0 * composition, 0.0), 1.0)
    p_net = float(predictive_p(k1, n1, rate, n0)) if 0 < rate < 1 else p_raw
    return OverallChange(n0, k0, n1, k1, p_raw, p_net)


def _adtributor(n0, k0, n1, k1, totals: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Adtributor explanatory power (ratio form, forecast = before-period counts scaled to the
    after-period volume) and surprise (JS term of numerator shares + JS term of denominator shares)."""
    total_n0, total_k0, total_n1, total_k1 = totals
    r0 = total_k0 / total_n0
    scale = total_n1 / total_n0
    denominator = total_k1 - r0 * total_n1
    with np.errstate(divide="ignore", invalid="ignore"):
        ep = ((k1 - r0 * n1) - scale * (k0 - r0 * n0)) / denominator
        surprise = js_term(n0 / total_n0, n1 / total_n1)
        if total_k0 > 0 and total_k1 > 0:
            surprise = surprise + js_term(k0 / total_k0, k1 / total_k1)
    return np.where(np.isfinite(ep), ep, np.nan), surprise


def _mix_rate(n0, k0, n1, k1, totals) -> tuple[np.ndarray, np.ndarray]:
    total_n0, _, total_n1, _ = totals
    w0, w1 = n0 / total_n0, n1 / total_n1
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = np.where(n0 > 0, k0 / n0, np.nan)
        r1 = np.where(n1 > 0, k1 / n1, np.nan)
    r0, r1 = np.where(np.isnan(r0), r1, r0), np.where(np.isnan(r1), r0, r1)
    r0, r1 = np.nan_to_num(r0), np.nan_to_num(r1)
    return (w1 - w0) * (r0 + r1) / 2, (r1 - r0) * (w0 + w1) / 2


def _choose_child(space: CandidateSpace, parent: int, agg: Aggregates, grand: float, expected: np.ndarray,
                  sd: np.ndarray, significant: np.ndarray, evaluator: _Evaluator, config: RootCauseConfig) -> int:
    """The value pair to report instead of a single value, or the single value itself.

    A pair wins when it explains ≥ ``child_share`` of the parent's deviation, or when it explains
    ≥ ``child_min_share`` of it and "only this pair changed" fits the parent's data better than
    "the whole parent changed by one relative amount" (weighted least squares over the pair and
    the rest of the parent, one free parameter each, so the residual sums compare directly).
    """
    children = space.children(parent)
    if len(children) == 0:
        return parent
    dev_parent = agg.k1[parent] - expected[parent]
    best, best_dev = parent, 0.0
    for child in children:
        dev = agg.k1[child] - expected[child]
        if not significant[child] or dev * dev_parent <= 0:
            continue
        share = dev / dev_parent
        qualifies = share >= config.child_share
        if not qualifies and share >= config.child_min_share:
            rest = agg.without(parent, child)
            _, rest_expected, _, rest_sd = evaluator.evaluate(rest, grand, np.array([parent]))
            dev_rest, exp_rest, sd_rest = rest.k1[0] - rest_expected[0], rest_expected[0], rest_sd[0]
            exp_child, sd_child = expected[child], sd[child]
            if sd_rest <= 0 or sd_child <= 0:
                continue
            only_child = (dev_rest / sd_rest) ** 2
            weight_c, weight_r = exp_child / sd_child ** 2, exp_rest / sd_rest ** 2
            common = (dev * weight_c + dev_rest * weight_r) / (exp_child * weight_c + exp_rest * weight_r)
            whole_parent = ((dev - common * exp_child) / sd_child) ** 2 + ((dev_rest - common * exp_rest) / sd_rest) ** 2
            qualifies = only_child < whole_parent
        if qualifies and abs(dev) > abs(best_dev):
            best, best_dev = int(child), dev
    return best


def _rate_causes(pair: PeriodPair, space: CandidateSpace, leaf_values: list[np.ndarray],
                 evaluator: _Evaluator, config: RootCauseConfig, assessable: np.ndarray) -> list[dict]:
    alive = assessable.copy()
    chosen: list[dict] = []
    taken = np.zeros(space.count, dtype=bool)
    for _ in range(config.max_causes):
        agg = Aggregates(*space.aggregate(*(v * alive for v in leaf_values)))
        eligible = (agg.n0 >= config.min_volume) & (agg.n1 >= config.min_volume) & ~taken
        if not eligible.any():
            break
        grand = float((pair.k0 * alive).sum() / max((pair.n0 * alive).sum(), 1e-12))
        _, expected, p, sd = evaluator.evaluate(agg, grand)
        p = np.where(eligible, p, np.nan)
        q = benjamini_hochberg(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.abs(agg.k1 - expected) / expected
        significant = (np.nan_to_num(q, nan=1.0) <= config.alpha) & (np.nan_to_num(relative, nan=np.inf)
                                                                      >= config.min_relative_change)
        if not significant.any():
            break
        deviation = np.where(significant, np.abs(agg.k1 - expected), -np.inf)
        pick = int(np.argmax(deviation))
        if not space.is_pair[pick]:
            pick = _choose_child(space, pick, agg, grand, expected, sd, significant, evaluator, config)
        chosen.append({"id": pick, **{f: float(getattr(agg, f)[pick]) for f in ("n0", "k0", "n1", "k1")},
                       "expected": float(expected[pick]), "p": float(p[pick]), "q": float(q[pick])})
        taken[pick] = True
        alive &= ~space.members(pick)
        if not alive.any():
            break
    return chosen


def _mix_candidates(n0: np.ndarray, k0: np.ndarray, n1: np.ndarray, k1: np.ndarray, total_n1: float,
                    total_k1: float, min_volume: float) -> list[tuple]:
    """(value, volume z, effect on R1, its SE, typical volume, contribution) for one dimension's values.

    "Typical" growth is the median growth of the values present in both periods (robust to the
    one value that moved, as RiskLoc's split is); a value's excess volume is what it has beyond
    that. Its effect is exactly R1 minus R1 recomputed with the value at its typical volume and
    its own rate: excess · (rate − R1_counterfactual) / N1. New and vanished values are included
    (a channel that appears from nothing is the plainest mix shift there is).
    """
    both = (n0 >= min_volume) & (n1 >= min_volume)
    growth = float(np.median(n1[both] / n0[both])) if both.sum() >= 3 else total_n1 / max(n0.sum(), 1e-12)
    if growth <= 0:
        return []
    out = []
    for v in np.flatnonzero((n0 >= min_volume) | (n1 >= min_volume)):
        typical = n0[v] * growth
        excess = n1[v] - typical
        share = growth / (1 + growth)
        total = n0[v] + n1[v]
        z = (n1[v] - total * share) / np.sqrt(total * share * (1 - share))
        rate, rate_n = (k1[v] / n1[v], n1[v]) if n1[v] > 0 else (k0[v] / n0[v], n0[v])
        counterfactual = (total_k1 - k1[v] + typical * rate) / (total_n1 - n1[v] + typical)
        effect = excess * (rate - counterfactual) / total_n1
        r1_all = total_k1 / total_n1
        effect_se = abs(excess) / total_n1 * np.sqrt(rate * (1 - rate) / rate_n + r1_all * (1 - r1_all) / total_n1)
        out.append((int(v), z, effect, effect_se, typical, excess * (rate - counterfactual)))
    return out


def _mix_causes(pair: PeriodPair, config: RootCauseConfig) -> list[dict]:
    """Values whose volume grew unlike their dimension's typical growth and so moved the overall rate.

    Greedy like the rate search: take the largest material effect, put that value back at its
    typical volume (scale its after-period leaves), and look again, so a shift in one dimension
    is not reported a second time through a correlated dimension.
    """
    n1_leaf, k1_leaf = pair.n1.astype(float).copy(), pair.k1.astype(float).copy()
    total_n0, total_k0 = pair.n0.sum(), pair.k0.sum()
    before = [(np.bincount(pair.codes[:, d], weights=pair.n0, minlength=len(pair.levels[d])),
               np.bincount(pair.codes[:, d], weights=pair.k0, minlength=len(pair.levels[d])))
              for d in range(len(pair.dimensions))]
    chosen: list[dict] = []
    taken: set[tuple[int, int]] = set()
    for _ in range(config.max_mix_causes):
        total_n1, total_k1 = n1_leaf.sum(), k1_leaf.sum()
        r_bar = (total_k0 / total_n0 + total_k1 / total_n1) / 2
        se_change = np.sqrt(r_bar * (1 - r_bar) * (1 / total_n0 + 1 / total_n1))
        rows = []
        for d, (n0, k0) in enumerate(before):
            n1 = np.bincount(pair.codes[:, d], weights=n1_leaf, minlength=len(n0))
            k1 = np.bincount(pair.codes[:, d], weights=k1_leaf, minlength=len(n0))
            rows += [(d, *row) for row in _mix_candidates(n0, k0, n1, k1, total_n1, total_k1, config.min_volume)]
        if not rows:
            break
        p_volume = 2 * sps.norm.sf(np.abs([r[2] for r in rows]))
        q_volume = benjamini_hochberg(p_volume)
        best = None
        for (d, v, _, effect, effect_se, typical, contribution), p_v, q_v in zip(rows, p_volume, q_volume):
            if (d, v) in taken or q_v > config.alpha:
                continue
            p_effect = 2 * sps.norm.sf(abs(effect) / effect_se) if effect_se > 0 else 1.0
            if p_effect > config.alpha or abs(effect) < config.mix_min_se * se_change:
                continue
            if best is None or abs(effect) > abs(best["effect"]):
                best = {"dim": d, "code": v, "effect": effect, "typical": typical,
                        "contribution": contribution, "p": float(p_v), "q": float(q_v)}
        if best is None:
            break
        chosen.append(best)
        taken.add((best["dim"], best["code"]))
        inside = pair.codes[:, best["dim"]] == best["code"]
        current = n1_leaf[inside].sum()
        if current > 0:  # a vanished value cannot be put back; it is only marked as taken
            n1_leaf[inside] *= best["typical"] / current
            k1_leaf[inside] *= best["typical"] / current
    return chosen


def explain_pair(pair: PeriodPair, config: RootCauseConfig | None = None) -> ExplainResult:
    """Ranked causes of one metric's change between two periods (empty when the change is not significant)."""
    config = config or RootCauseConfig()
    sizes = tuple(len(levels) for levels in pair.levels)
    totals = pair.totals
    if totals[0] <= 0 or totals[2] <= 0:
        return ExplainResult(OverallChange(*totals, float("nan"), float("nan")))
    p_leaf = fit_main_effects(pair.codes, sizes, pair.n0, pair.k0, ridge=config.ridge)
    overall = _overall(pair, p_leaf)
    if not pair.dimensions:
        return ExplainResult(overall)
    space = CandidateSpace(pair.codes, sizes, include_pairs=config.include_pairs)
    leaf_values = [pair.n0, pair.k0, pair.n1, pair.k1, pair.n0 * p_leaf, pair.n1 * p_leaf]
    full = Aggregates(*space.aggregate(*leaf_values))
    evaluator = _Evaluator(space, full, pair, config)
    # Leaves of a value that (nearly) did not exist before have no before-rate to compare with:
    # they are left to the mix search (as the decomposition books a new value entirely as mix),
    # otherwise a new high-converting channel would make every industry look like a rate cause.
    # "Nearly": fewer than min_volume before and more than 4× the overall growth since.
    assessable = np.ones(len(pair.codes), dtype=bool)
    growth = totals[2] / totals[0]
    for d in range(len(pair.dimensions)):
        before = np.bincount(pair.codes[:, d], weights=pair.n0, minlength=sizes[d])
        after = np.bincount(pair.codes[:, d], weights=pair.n1, minlength=sizes[d])
        new_value = (before < config.min_volume) & (before * growth * 4 < after)
        assessable &= ~new_value[pair.codes[:, d]]
    start = Aggregates(*space.aggregate(*(v * assessable for v in leaf_values)))
    grand = float((pair.k0 * assessable).sum() / max((pair.n0 * assessable).sum(), 1e-12))
    _, _, p_first, _ = evaluator.evaluate(start, grand)
    eligible = (start.n0 >= config.min_volume) & (start.n1 >= config.min_volume)
    if eligible.any():
        overall.p_value_segments = float(min(1.0, np.nanmin(p_first[eligible]) * eligible.sum()))
    overall.gate_passed = bool(overall.p_value <= config.gate_alpha
                               or overall.p_value_segments <= config.segment_gate_alpha)
    if not overall.gate_passed:
        return ExplainResult(overall)
    rows = []
    for cause in _rate_causes(pair, space, leaf_values, evaluator, config, assessable):
        segment = space.describe(cause["id"])
        rows.append(_row(pair, segment, "rate", cause["n0"], cause["k0"], cause["n1"], cause["k1"],
                         expected_numerator=cause["expected"], expected_denominator=np.nan,
                         contribution=cause["k1"] - cause["expected"], p=cause["p"], q=cause["q"],
                         full=(full.n0[cause["id"]], full.k0[cause["id"]], full.n1[cause["id"]], full.k1[cause["id"]]),
                         totals=totals))
    for cause in _mix_causes(pair, config):
        d, v = cause["dim"], cause["code"]
        cid = space.offsets[d] + v
        counts = (full.n0[cid], full.k0[cid], full.n1[cid], full.k1[cid])
        rows.append(_row(pair, ((d, v),), "mix", *counts, expected_numerator=np.nan,
                         expected_denominator=cause["typical"], contribution=cause["contribution"],
                         p=cause["p"], q=cause["q"], full=counts, totals=totals))
    if not rows:
        return ExplainResult(overall)
    frame = pd.DataFrame(rows)
    frame = frame.iloc[np.argsort(-np.abs(frame["contribution"].to_numpy()), kind="stable")].reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["overall_rate_before"] = overall.rate_before
    frame["overall_rate_after"] = overall.rate_after
    frame["overall_p_value"] = overall.p_value
    return ExplainResult(overall, frame[CANDIDATE_COLUMNS])


def _row(pair: PeriodPair, segment, kind: str, n0, k0, n1, k1, *, expected_numerator, expected_denominator,
         contribution, p, q, full, totals) -> dict:
    (d1, v1), *rest = segment
    ep, surprise = _adtributor(*(np.array([x], dtype=float) for x in (n0, k0, n1, k1)), totals)
    mix, rate = _mix_rate(*(np.array([x], dtype=float) for x in full), totals)
    return {
        "metric": pair.metric, "period_from": pair.period_from, "period_to": pair.period_to, "kind": kind,
        "dimension_1": pair.dimensions[d1], "value_1": pair.levels[d1][v1],
        "dimension_2": pair.dimensions[rest[0][0]] if rest else None,
        "value_2": pair.levels[rest[0][0]][rest[0][1]] if rest else None,
        "denominator_before": n0, "numerator_before": k0, "denominator_after": n1, "numerator_after": k1,
        "share_before": n0 / totals[0], "share_after": n1 / totals[2],
        "rate_before": k0 / n0 if n0 > 0 else np.nan, "rate_after": k1 / n1 if n1 > 0 else np.nan,
        "expected_denominator": expected_denominator, "expected_numerator": expected_numerator,
        "contribution": contribution, "explanatory_power": float(ep[0]), "surprise": float(surprise[0]),
        "mix_effect": float(mix[0]), "rate_effect": float(rate[0]),
        "p_value": p, "q_value": q, "is_significant": True,
    }


def explain(counts: pd.DataFrame, dimensions: Sequence[str] | None = None, *,
            config: RootCauseConfig | None = None, columns: CountColumns = DEFAULT_COLUMNS) -> pd.DataFrame:
    """Ranked root-cause candidates for every metric and consecutive period pair of a leaf table.

    One row per reported cause (``CANDIDATE_COLUMNS``); a (metric, period pair) whose overall change
    is not significant contributes no rows. See the module docstring for the method.
    """
    config = config or RootCauseConfig()
    frames = [explain_pair(pair, config).candidates for pair in iter_period_pairs(counts, dimensions, columns)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    return pd.concat(frames, ignore_index=True)
