"""The few statistical tests the root-cause search needs, vectorised over candidates.

Kept apart from the search so each can be checked against a textbook value on its own.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

# Below this many period-1 entities (or when the expected successes or failures are few) the
# normal approximation of the beta-binomial is poor, so the exact distribution is used.
EXACT_MAX_N = 400
EXACT_MIN_EXPECTED = 15.0


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN entries are ignored and stay NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def two_proportion_p(k0, n0, k1, n1) -> np.ndarray:
    """Two-sided pooled two-proportion z-test p-value of r1 vs r0 (NaN where undefined)."""
    k0, n0, k1, n1 = (np.asarray(x, dtype=float) for x in (k0, n0, k1, n1))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (k0 + k1) / (n0 + n1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        z = (k1 / n1 - k0 / n0) / se
        p = 2 * stats.norm.sf(np.abs(z))
    p = np.where((n0 > 0) & (n1 > 0) & (se > 0), p, np.where((n0 > 0) & (n1 > 0), 1.0, np.nan))
    return p


def predictive_p(k1, n1, expected_rate, concentration) -> np.ndarray:
    """Two-sided p-value of observing k1 of n1 when the rate is Beta(mean=expected_rate, a+b=concentration).

    This is the beta-binomial posterior predictive test: the Beta carries the sampling error of
    the baseline period (its concentration is the baseline volume plus the prior strength), the
    binomial carries the current period's. It is the Bayesian counterpart of the two-proportion
    test and behaves well for tiny segments, where the z-test does not.
    """
    k1, n1, r, c = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (k1, n1, expected_rate, concentration)))
    r = np.clip(r, 1e-9, 1 - 1e-9)
    p = np.full(k1.shape, np.nan)
    valid = (n1 > 0) & (c > 0)
    mean = n1 * r
    exact = valid & ((n1 <= EXACT_MAX_N) | (mean < EXACT_MIN_EXPECTED) | (n1 - mean < EXACT_MIN_EXPECTED))
    approx = valid & ~exact
    if approx.any():
        var = n1[approx] * r[approx] * (1 - r[approx]) * (c[approx] + n1[approx]) / (c[approx] + 1)
        dev = np.maximum(np.abs(k1[approx] - mean[approx]) - 0.5, 0.0)
        p[approx] = 2 * stats.norm.sf(dev / np.sqrt(var))
    if exact.any():
        kk = np.round(k1[exact])
        nn = np.round(n1[exact])
        a = r[exact] * c[exact]
        b = (1 - r[exact]) * c[exact]
        lower, upper = betabinom_tails(kk, nn, a, b)
        p[exact] = 2 * np.minimum(lower, upper)
    return np.minimum(p, 1.0)


# cells (rows × support points) of one block of betabinom_tails: ~32 MB of float64 per array
_TAIL_BLOCK_CELLS = 4_000_000


def betabinom_tails(k, n, a, b) -> tuple[np.ndarray, np.ndarray]:
    """P(X ≤ k) and P(X ≥ k) of X ~ BetaBinomial(n, a, b), exactly as scipy.stats.betabinom's
    ``cdf(k)`` and ``sf(k - 1)`` (the sum of the pmf over 0..k, and 1 minus that sum up to k - 1).

    scipy has no closed-form beta-binomial cdf: it sums the pmf one value of k at a time in a
    Python loop (~25 µs each; 44,000 of them were a third of the root-cause step at 10k leads).
    Here the pmf up to k is computed for many rows at once, in blocks of rows of similar k.
    """
    k, n, a, b = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (k, n, a, b)))
    shape = k.shape
    k, n, a, b = (x.ravel() for x in (k, n, a, b))
    lower, below = np.empty(k.size), np.empty(k.size)  # P(X ≤ k), P(X ≤ k - 1)
    order = np.argsort(k, kind="stable")  # cdf(k) needs the pmf up to k only
    start = 0
    while start < order.size:
        stop = start + 1
        while stop < order.size and (stop + 1 - start) * (k[order[stop]] + 1) <= _TAIL_BLOCK_CELLS:
            stop += 1
        rows = order[start:stop]
        lower[rows], below[rows] = _cdf_pair(k[rows], n[rows], a[rows], b[rows])
        start = stop
    return lower.reshape(shape), (1.0 - below).reshape(shape)


def _cdf_pair(k, n, a, b) -> tuple[np.ndarray, np.ndarray]:
    """cdf(k) and cdf(k - 1) for one block (0 below the support, 1 above it).

    The pmf by its ratio between neighbours, in logs: pmf(0) = B(a, n + b) / B(a, b) and
    pmf(j + 1) / pmf(j) = (n - j)(j + a) / ((j + 1)(n - j - 1 + b)) — a cumulative sum instead
    of three log-beta functions per support point.
    """
    j = np.arange(max(int(np.clip(k, 0, n).max()), 0), dtype=float)[None, :]  # steps j -> j + 1
    nn, aa, bb = n[:, None], a[:, None], b[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log((nn - j) * (j + aa)) - np.log((j + 1) * (nn - j - 1 + bb))
    log_ratio = np.where(j < nn, log_ratio, -np.inf)
    log_pmf0 = special.betaln(a, n + b) - special.betaln(a, b)
    log_pmf = np.concatenate([log_pmf0[:, None], log_pmf0[:, None] + np.cumsum(log_ratio, axis=1)], axis=1)
    cum = np.cumsum(np.exp(log_pmf), axis=1)
    kk = np.floor(k)

    def at(x):
        value = cum[np.arange(len(x)), np.clip(x, 0, n).astype(int)]
        return np.where(x < 0, 0.0, np.where(x >= n, 1.0, value))

    return at(kk), at(kk - 1)


def predictive_sd(n1, expected_rate, concentration) -> np.ndarray:
    """Standard deviation of the beta-binomial predictive count (same parameters as predictive_p)."""
    n1, r, c = (np.asarray(x, dtype=float) for x in (n1, expected_rate, concentration))
    r = np.clip(r, 1e-9, 1 - 1e-9)
    return np.sqrt(n1 * r * (1 - r) * (c + n1) / (c + 1))


def js_term(p, q) -> np.ndarray:
    """One element's term of the Jensen–Shannon divergence between shares p and q (base 2, in [0, 1]).

    Adtributor's "surprise": 0.5·(p·log2(2p/(p+q)) + q·log2(2q/(p+q))), with 0·log 0 = 0.
    """
    p, q = (np.asarray(x, dtype=float) for x in (p, q))
    m = p + q
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log2(2 * p / m), 0.0)
        b = np.where(q > 0, q * np.log2(2 * q / m), 0.0)
    return 0.5 * (a + b)


def logit(p):
    return special.logit(p)


def expit(x):
    return special.expit(x)


def two_sided_power(r0, n0, r1, n1, alpha: float) -> np.ndarray:
    """Approximate power of the two-sided two-proportion z-test at level alpha."""
    r0, n0, r1, n1 = (np.asarray(x, dtype=float) for x in (r0, n0, r1, n1))
    z = stats.norm.isf(alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(r0 * (1 - r0) / n0 + r1 * (1 - r1) / n1)
        power = stats.norm.cdf((np.abs(r1 - r0) - z * se) / se)
    return np.nan_to_num(power, nan=0.0)
