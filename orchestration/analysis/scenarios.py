"""Simulated leaf counts with a planted truth, for the root-cause tests and benchmark.

A scenario is one metric in two (or more) periods over 4–5 dimensions with 6–10 values each.
The world: value shares drawn from a Dirichlet, a mild volume association between one pair of
dimensions, leaf rates from logit(base) + one effect per value + small interactions on two
dimension pairs, and natural period-to-period share jitter (a few %). Counts are multinomial
volumes and binomial conversions. What can be planted in the last period:

* rate drops of 30–80 % on a single value or a value pair (the causes to find);
* a mix shift: one channel's volume × 1.5–3 with every rate unchanged (to be reported as mix);
* nothing (no-change cases, which must produce no output).

``rate_drift`` (off by default) adds what real months have and binomial sampling does not: every
value's rate wobbling a little from month to month (logit noise per value and period); the
benchmark's drift suite uses it to show how the false-output rate degrades when it does.

Planted segments are drawn among those with a minimum volume share (``min_single_share``,
``min_pair_share``) and no two planted segments nest; each cause records the power its own
two-proportion test has at the Bonferroni level across all candidates, so recall can be scored
on the causes a test could find at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from .stats import expit, logit, two_sided_power

DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    "channel": ("Web", "Paid Search", "Paid Social", "Email", "Event", "Partner Referral", "Phone Inquiry",
                "Webinar", "Trade Show", "Outbound"),
    "industry": ("Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Education", "Energy",
                 "Logistics", "Media", "Public Sector"),
    "region": ("North", "South", "East", "West", "Central", "Northeast", "Northwest", "Southwest",
               "Southeast", "Overseas"),
    "company_size": ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-2000", "2001-5000",
                     "5001-10000", "10001-50000", "50000+"),
    "owner_team": ("Inside Sales A", "Inside Sales B", "Field East", "Field West", "Enterprise", "SMB",
                   "Channel Partners", "Key Accounts", "Public Sector Team", "New Logos"),
}
DIMENSION_ORDER = tuple(DIMENSION_VALUES)


@dataclass(frozen=True)
class PlantedCause:
    segment: tuple[tuple[str, str], ...]  # ((dimension, value), ...) in the scenario's dimension order
    kind: str  # "rate" or "mix"
    factor: float  # rate multiplier (1 − drop) or volume multiplier
    share: float  # expected share of the before-period volume
    power: float  # power of the segment's own test at the Bonferroni level (rate causes); nan for mix
    material: bool = True  # mix: its expected effect on the overall rate is ≥ 3 SEs of the change (≈ 85 % power)


@dataclass
class Scenario:
    seed: int
    dimensions: tuple[str, ...]
    counts: pd.DataFrame  # metric, period, dimensions..., denominator, numerator
    causes: tuple[PlantedCause, ...] = field(default_factory=tuple)
    metric: str = "lead_to_qualified"
    periods: tuple[str, ...] = ("2026-03", "2026-04")

    @property
    def rate_causes(self) -> tuple[PlantedCause, ...]:
        return tuple(c for c in self.causes if c.kind == "rate")


def _segment_mask(shape: tuple[int, ...], segment: tuple[tuple[int, int], ...]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    index = [slice(None)] * len(shape)
    for d, v in segment:
        index[d] = v
    mask[tuple(index)] = True
    return mask


def _nests(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    return set(a) <= set(b) or set(b) <= set(a)


def generate_scenario(seed: int, *, volume: int = 60_000, n_dims: int = 5, n_values: tuple[int, int] = (6, 10),
                      n_rate_causes: tuple[int, int] = (1, 2), pair_probability: float = 0.5,
                      drop: tuple[float, float] = (0.3, 0.8), mix_shift: bool = False,
                      mix_factor: tuple[float, float] = (1.5, 3.0), base_rate: tuple[float, float] = (0.15, 0.45),
                      min_single_share: float = 0.05, min_pair_share: float = 0.015, share_jitter: float = 0.04,
                      rate_drift: float = 0.0,
                      n_periods: int = 2, metric: str = "lead_to_qualified", alpha: float = 0.05) -> Scenario:
    """One scenario; ``n_rate_causes=(0, 0)`` and ``mix_shift=False`` give a no-change case."""
    rng = np.random.default_rng(seed)
    dims = DIMENSION_ORDER[:n_dims] if n_dims == 5 else tuple(
        sorted((str(d) for d in rng.choice(DIMENSION_ORDER, size=n_dims, replace=False)), key=DIMENSION_ORDER.index))
    if "channel" not in dims and mix_shift:
        dims = ("channel",) + dims[1:]
    sizes = tuple(int(rng.integers(n_values[0], n_values[1] + 1)) for _ in dims)
    values = [DIMENSION_VALUES[d][:s] for d, s in zip(dims, sizes)]
    shape = sizes

    # Volume: independent Dirichlet shares, plus an association between one pair of dimensions.
    log_weight = np.zeros(shape)
    marginals = [rng.dirichlet(np.full(s, 3.0)) for s in sizes]
    for d, w in enumerate(marginals):
        log_weight += np.log(w).reshape([-1 if i == d else 1 for i in range(len(dims))])
    a, b = rng.choice(len(dims), size=2, replace=False)
    assoc = rng.normal(0, 0.3, size=(sizes[a], sizes[b]))
    log_weight += np.expand_dims(assoc, [i for i in range(len(dims)) if i not in (a, b)]) if a < b else \
        np.expand_dims(assoc.T, [i for i in range(len(dims)) if i not in (a, b)])

    # Rates: logit(base) + value effects + small interactions on two dimension pairs.
    eta = np.full(shape, logit(rng.uniform(*base_rate)))
    for d, s in enumerate(sizes):
        eta += rng.normal(0, 0.4, size=s).reshape([-1 if i == d else 1 for i in range(len(dims))])
    pairs = list(combinations(range(len(dims)), 2))
    for pi in rng.choice(len(pairs), size=min(2, len(pairs)), replace=False):
        d, e = pairs[pi]
        inter = rng.normal(0, 0.15, size=(sizes[d], sizes[e]))
        eta += np.expand_dims(inter, [i for i in range(len(dims)) if i not in (d, e)])
    rate0 = expit(eta)

    weight0 = np.exp(log_weight - log_weight.max())
    weight0 /= weight0.sum()
    candidates = []
    for d in range(len(dims)):
        marginal = weight0.sum(axis=tuple(i for i in range(len(dims)) if i != d))
        candidates += [((d, v),) for v in range(sizes[d]) if marginal[v] >= min_single_share]
    pair_candidates = []
    for d, e in pairs:
        joint = weight0.sum(axis=tuple(i for i in range(len(dims)) if i not in (d, e)))
        pair_candidates += [((d, v), (e, u)) for v in range(sizes[d]) for u in range(sizes[e])
                            if joint[v, u] >= min_pair_share]

    planted: list[tuple[tuple[tuple[int, int], ...], float]] = []
    want = int(rng.integers(n_rate_causes[0], n_rate_causes[1] + 1))
    attempts = 0
    while len(planted) < want and attempts < 200:
        attempts += 1
        pool = pair_candidates if (rng.random() < pair_probability and pair_candidates) else candidates
        segment = pool[int(rng.integers(len(pool)))]
        if any(_nests(segment, s) for s, _ in planted):
            continue
        planted.append((segment, 1.0 - rng.uniform(*drop)))

    rate1 = rate0.copy()
    for segment, factor in planted:
        rate1[_segment_mask(shape, segment)] *= factor
    weight1_base = weight0.copy()
    mix_cause = None
    if mix_shift:
        c = dims.index("channel")
        channel_share = weight0.sum(axis=tuple(i for i in range(len(dims)) if i != c))
        channel_rate = (rate0 * weight0).sum(axis=tuple(i for i in range(len(dims)) if i != c)) / channel_share
        overall = (rate0 * weight0).sum()
        distinct = [v for v in range(sizes[c]) if abs(channel_rate[v] / overall - 1) >= 0.25
                    and 0.05 <= channel_share[v] <= 0.3]
        v = int(rng.choice(distinct)) if distinct else int(np.argmax(np.abs(channel_rate / overall - 1)))
        factor = float(rng.uniform(*mix_factor))
        weight1_base[_segment_mask(shape, ((c, v),))] *= factor
        mix_cause = (c, v, factor, float(channel_share[v]))

    frames = []
    periods = tuple(pd.Period("2026-04", "M") - (n_periods - 1 - i) for i in range(n_periods))
    period_labels = tuple(str(p) for p in periods)
    totals = []
    for t, label in enumerate(period_labels):
        last = t == n_periods - 1
        base = weight1_base if last else weight0
        jitter = np.zeros(shape)
        for d, s in enumerate(sizes):
            jitter += rng.normal(0, share_jitter, size=s).reshape([-1 if i == d else 1 for i in range(len(dims))])
        weight = base * np.exp(jitter)
        scale = weight.sum() / (weight0 * np.exp(jitter)).sum()  # a mix shift adds volume, it does not take it
        total = int(round(volume * rng.uniform(0.9, 1.1) * (scale if last and mix_shift else 1.0)))
        totals.append(total)
        n = rng.multinomial(total, (weight / weight.sum()).ravel()).reshape(shape)
        rate = rate1 if last else rate0
        if rate_drift > 0:  # month-to-month wobble of every value's rate that nobody planted
            drift = np.zeros(shape)
            for d, size in enumerate(sizes):
                drift += rng.normal(0, rate_drift, size=size).reshape([-1 if i == d else 1 for i in range(len(dims))])
            rate = expit(logit(rate) + drift)
        k = rng.binomial(n, rate)
        nz = np.flatnonzero(n)
        idx = np.unravel_index(nz, shape)
        frame = pd.DataFrame({"metric": np.full(len(nz), metric, dtype=object),
                              "period": np.full(len(nz), label, dtype=object)})
        for d, dim in enumerate(dims):
            frame[dim] = np.asarray(values[d], dtype=object)[idx[d]]
        frame["denominator"] = n.ravel()[nz].astype(np.int64)
        frame["numerator"] = k.ravel()[nz].astype(np.int64)
        frames.append(frame)

    m_candidates = sum(sizes) + sum(sizes[d] * sizes[e] for d, e in pairs)
    w1 = weight1_base / weight1_base.sum()
    causes = []
    for segment, factor in planted:
        mask = _segment_mask(shape, segment)
        share0, share1 = weight0[mask].sum(), w1[mask].sum()
        r0 = (rate0[mask] * weight0[mask]).sum() / share0
        r1 = (rate1[mask] * w1[mask]).sum() / share1
        power = float(two_sided_power(r0, share0 * totals[-2], r1, share1 * totals[-1], alpha / m_candidates))
        causes.append(PlantedCause(tuple((dims[d], values[d][v]) for d, v in segment), "rate", factor,
                                   float(share0), power))
    if mix_cause is not None:
        c, v, factor, share = mix_cause
        effect = (rate1 * w1).sum() - (rate1 * weight0).sum()
        r_bar = ((rate0 * weight0).sum() + (rate1 * w1).sum()) / 2
        se_change = np.sqrt(r_bar * (1 - r_bar) * (1 / totals[-2] + 1 / totals[-1]))
        causes.append(PlantedCause(((dims[c], values[c][v]),), "mix", factor, share, float("nan"),
                                   material=bool(abs(effect) >= 3 * se_change)))
    return Scenario(seed=seed, dimensions=dims, counts=pd.concat(frames, ignore_index=True),
                    causes=tuple(causes), metric=metric, periods=period_labels)


SUITES = {
    # name: keyword arguments of generate_scenario
    "high_volume": dict(volume=60_000, n_rate_causes=(1, 2)),
    "b2b_sparse": dict(volume=2_500, n_rate_causes=(1, 2)),
    "mix_shift": dict(volume=60_000, n_rate_causes=(1, 2), mix_shift=True),
    "pure_mix": dict(volume=60_000, n_rate_causes=(0, 0), mix_shift=True),
    "no_change_high": dict(volume=60_000, n_rate_causes=(0, 0)),
    "no_change_sparse": dict(volume=2_500, n_rate_causes=(0, 0)),
    # stress, not in the bar: no planted change, but every value's rate drifts (logit sd 0.05)
    "no_change_drift": dict(volume=60_000, n_rate_causes=(0, 0), rate_drift=0.05),
}


def suite_scenario(suite: str, seed: int, **overrides) -> Scenario:
    """Scenario ``seed`` of a named suite, with 4 or 5 dimensions chosen by the seed."""
    kwargs = dict(SUITES[suite])
    kwargs.setdefault("n_dims", 4 + seed % 2)
    kwargs.update(overrides)
    return generate_scenario(seed, **kwargs)
