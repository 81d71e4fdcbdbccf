"""The candidate segments of a root-cause search: every single dimension value and every pair of
values across two dimensions, with one global id each.

A leaf belongs to exactly one candidate per *grouping* (a grouping is one dimension, or one pair
of dimensions), so aggregating every candidate at once is a single bincount over
(leaves × groupings) ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np


@dataclass(frozen=True)
class Aggregates:
    """Per-candidate sums (arrays of length = number of candidates)."""

    n0: np.ndarray
    k0: np.ndarray
    n1: np.ndarray
    k1: np.ndarray
    m0: np.ndarray  # model-expected numerator at the before-composition (before-period leaf rates)
    m1: np.ndarray  # the same leaf rates at the after-composition

    def without(self, outer: int, inner: int) -> "Aggregates":
        """Candidate ``outer``'s sums without those of ``inner`` (which lies inside it), as 1-element arrays."""
        return Aggregates(*(np.array([getattr(self, f)[outer] - getattr(self, f)[inner]])
                            for f in ("n0", "k0", "n1", "k1", "m0", "m1")))


class CandidateSpace:
    """Global ids for single values and value pairs over a leaf code matrix."""

    def __init__(self, codes: np.ndarray, sizes: tuple[int, ...], include_pairs: bool = True):
        dims = len(sizes)
        groupings: list[tuple[int, ...]] = [(d,) for d in range(dims)]
        if include_pairs:
            groupings += list(combinations(range(dims), 2))
        self.sizes = sizes
        self.groupings = groupings
        grouping_sizes = [int(np.prod([sizes[d] for d in g])) for g in groupings]
        self.offsets = np.concatenate([[0], np.cumsum(grouping_sizes)]).astype(np.int64)
        self.count = int(self.offsets[-1])
        leaf_ids = np.empty((len(codes), len(groupings)), dtype=np.int64)
        for gi, g in enumerate(groupings):
            local = codes[:, g[0]].astype(np.int64)
            if len(g) == 2:
                local = local * sizes[g[1]] + codes[:, g[1]]
            leaf_ids[:, gi] = self.offsets[gi] + local
        self.leaf_ids = leaf_ids
        self._flat_ids = leaf_ids.ravel()
        self.grouping_of = np.repeat(np.arange(len(groupings)), grouping_sizes)
        self.is_pair = np.array([len(groupings[g]) == 2 for g in self.grouping_of], dtype=bool)

    def aggregate(self, *leaf_values: np.ndarray) -> list[np.ndarray]:
        """Sum each leaf array into every candidate."""
        reps = len(self.groupings)
        return [np.bincount(self._flat_ids, weights=np.repeat(v, reps), minlength=self.count) for v in leaf_values]

    def members(self, candidate: int) -> np.ndarray:
        """Boolean mask of the leaves inside a candidate."""
        return self.leaf_ids[:, self.grouping_of[candidate]] == candidate

    def describe(self, candidate: int) -> tuple[tuple[int, int], ...]:
        """((dimension index, value code), ...) of a candidate, in dimension order."""
        gi = int(self.grouping_of[candidate])
        g = self.groupings[gi]
        local = int(candidate - self.offsets[gi])
        if len(g) == 1:
            return ((g[0], local),)
        first, second = divmod(local, self.sizes[g[1]])
        return ((g[0], first), (g[1], second))

    def children(self, candidate: int) -> np.ndarray:
        """Ids of the value pairs that refine a single-value candidate (empty for a pair)."""
        if self.is_pair[candidate]:
            return np.empty(0, dtype=np.int64)
        ((d, v),) = self.describe(candidate)
        out = []
        for gi, g in enumerate(self.groupings):
            if len(g) != 2 or d not in g:
                continue
            other = g[1] if g[0] == d else g[0]
            u = np.arange(self.sizes[other])
            local = v * self.sizes[g[1]] + u if g[0] == d else u * self.sizes[g[1]] + v
            out.append(self.offsets[gi] + local)
        return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
