"""Record ids that look like the vendors' own.

Adapters and dbt tests key on these strings, so the generator writes what the vendors write:
18-character case-safe Salesforce ids with each object's real key prefix (and a valid 3-character
case-safe suffix, so an adapter that converts 15 <-> 18 characters can be tested), the null id
``000000000000000AAA`` for empty lookups, and Tally's 6-character submission / respondent ids.
Ids come from counters through a bijection, so they are unique and deterministic without a set of
issued ids in memory.
"""

from __future__ import annotations

import hashlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
NULL_ID = "000000000000000AAA"

# Salesforce key prefixes of the objects the export contains.
KEY_PREFIX = {
    "Lead": "00Q",
    "Opportunity": "006",
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "UserRole": "00E",
    "Profile": "00e",
    "Campaign": "701",
    "CampaignMember": "00v",
    "OpportunityHistory": "008",
    "Task": "00T",
}


def base62(n: int, width: int) -> str:
    """Fixed-width base-62 digits of n (most significant first)."""
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(BASE62[r])
    return "".join(reversed(out))


def case_safe_suffix(id15: str) -> str:
    """Salesforce's 3-character suffix: one bit per upper-case letter in each 5-character chunk."""
    out = []
    for start in (0, 5, 10):
        bits = 0
        for j, ch in enumerate(id15[start : start + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << j
        out.append(_SUFFIX_ALPHABET[bits])
    return "".join(out)


def _stable_int(*parts: object) -> int:
    """A platform- and run-independent integer from the parts (Python's hash() is salted)."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


_LOW2 = [a + b for a in BASE62 for b in BASE62]  # the last two digits, precomputed
_LOW2_BITS = [(("A" <= v[0] <= "Z") << 3) | (("A" <= v[1] <= "Z") << 4) for v in _LOW2]


class SalesforceIds:
    """Sequential ids for one object, like an org's: prefix + pod '5g' + '0' + 9 base-62 digits.

    Millions of ids are issued per run, so the first 13 characters and their share of the
    case-safe suffix are recomputed only when they change (every 3,844 ids).
    """

    def __init__(self, obj: str, seed: int) -> None:
        self.prefix = KEY_PREFIX[obj] + "5g0"
        # Real orgs do not start at zero; start somewhere seed-dependent but far from overflow.
        self._next = 62**6 + _stable_int(obj, seed) % 62**7
        self._high = -1
        self._head = self._suffix12 = ""
        self._bits3 = 0

    def next(self) -> str:
        high, low = divmod(self._next, 3844)
        self._next += 1
        if high != self._high:
            self._high = high
            self._head = self.prefix + base62(high, 7)
            full = case_safe_suffix(self._head + "00")
            self._suffix12 = full[:2]
            self._bits3 = _SUFFIX_ALPHABET.index(full[2])
        return self._head + _LOW2[low] + self._suffix12 + _SUFFIX_ALPHABET[self._bits3 | _LOW2_BITS[low]]


class ShortIds:
    """Tally-style 6-character ids: a counter scrambled by an affine bijection modulo 62**6."""

    _MOD = 62**6

    def __init__(self, salt: str, seed: int) -> None:
        h = _stable_int(salt, seed)
        mult = (h % (self._MOD // 2)) * 2 + 1  # odd ...
        while mult % 31 == 0:  # ... and coprime with 31, so the map is a bijection
            mult += 2
        self._mult = mult
        self._add = (h >> 20) % self._MOD
        self._n = 0

    def next(self) -> str:
        value = (self._n * self._mult + self._add) % self._MOD
        self._n += 1
        return base62(value, 6)
