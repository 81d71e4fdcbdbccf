"""Python ``re.search`` semantics in DuckDB's RE2: translate a pattern exactly, or say it can't be.

Great Expectations validates ``expect_column_values_to_match_regex`` with pandas'
``Series.str.contains``, which keeps Python ``re`` semantics (pandas 3 falls back from pyarrow's RE2
to ``re`` whenever the two could differ). Handing the same text to DuckDB's ``regexp_matches``
would be wrong in ways that only show on odd data:

- ``\\s`` in RE2 is ``[\\t\\n\\f\\r ]``; in Python it is every Unicode space, ``\\x0b`` and U+3000 too;
- ``\\d`` in RE2 is ``[0-9]``; in Python every Unicode decimal digit (Arabic-Indic, full-width, …);
- ``$`` in Python also matches just before a trailing newline; RE2's only at the very end;
- RE2 has no look-around; ``{,n}`` and ``\\Z`` mean other things or nothing.

So the pattern is parsed with Python's own parser and re-emitted for RE2: ``\\d`` and ``\\s`` become
explicit code-point classes computed from Python's ``re`` itself, a ``$`` at the end of the
pattern becomes ``(?:\\n?\\z)``, and look-aheads at the very start (``^(?=A)(?!B)rest``, as in
the suites' phone regex) become a conjunction of separate matches (``A`` and not ``B`` and
``rest``, each anchored at the start). Anything this cannot translate exactly (``\\w``, ``\\b``,
look-behind, back-references, flags, possessive repeats) returns ``None``; the caller then
evaluates the pattern with Python's ``re`` inside DuckDB instead.
"""

from __future__ import annotations

import re
from functools import lru_cache

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

_MAX_CP = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_RE2_MAX_REPEAT = 1000
_UNSUPPORTED_FLAGS = re.IGNORECASE | re.MULTILINE | re.ASCII | re.LOCALE


class _Untranslatable(Exception):
    pass


@lru_cache(maxsize=1)
def _all_code_points() -> str:
    return "".join(map(chr, range(_SURROGATES[0]))) + "".join(map(chr, range(_SURROGATES[1] + 1, _MAX_CP + 1)))


@lru_cache(maxsize=None)
def _ranges_of(category: str) -> tuple[tuple[int, int], ...]:
    """Code-point ranges Python's ``re`` matches with ``\\d`` or ``\\s`` (asked of ``re`` itself)."""
    points = sorted(ord(ch) for ch in re.findall(category, _all_code_points()))
    ranges: list[tuple[int, int]] = []
    for cp in points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return tuple(ranges)


def _complement(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out, start = [], 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX_CP:
        out.append((start, _MAX_CP))
    # RE2 works on UTF-8, where surrogates cannot occur: leave them out of classes
    clean = []
    for lo, hi in out:
        if hi < _SURROGATES[0] or lo > _SURROGATES[1]:
            clean.append((lo, hi))
        else:
            if lo < _SURROGATES[0]:
                clean.append((lo, _SURROGATES[0] - 1))
            if hi > _SURROGATES[1]:
                clean.append((_SURROGATES[1] + 1, hi))
    return tuple(clean)


def _char(cp: int) -> str:
    c = chr(cp)
    return c if c.isascii() and c.isalnum() else f"\\x{{{cp:X}}}"


def _class_body(ranges) -> str:
    return "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges)


_CATEGORY_RANGES = {
    C.CATEGORY_DIGIT: lambda: _ranges_of(r"\d"),
    C.CATEGORY_NOT_DIGIT: lambda: _complement(_ranges_of(r"\d")),
    C.CATEGORY_SPACE: lambda: _ranges_of(r"\s"),
    C.CATEGORY_NOT_SPACE: lambda: _complement(_ranges_of(r"\s")),
}


def _category(cat) -> str:
    if cat not in _CATEGORY_RANGES:  # \w, \W (Unicode "alphanumeric" has no exact RE2 class)
        raise _Untranslatable(f"category {cat}")
    return _class_body(_CATEGORY_RANGES[cat]())


class _Emitter:
    def __init__(self, flags: int):
        self.dotall = bool(flags & re.DOTALL)

    def seq(self, items, tail: bool) -> str:
        items = list(items)
        return "".join(self.item(op, av, tail and i == len(items) - 1) for i, (op, av) in enumerate(items))

    def item(self, op, av, tail: bool) -> str:
        if op is C.LITERAL:
            return _char(av)
        if op is C.NOT_LITERAL:
            return f"[^{_char(av)}]"
        if op is C.ANY:
            return "(?s:.)" if self.dotall else "."
        if op is C.IN:
            return self.in_(av)
        if op is C.CATEGORY:
            return f"[{_category(av)}]"
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(alt, tail) for alt in av[1]) + ")"
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise _Untranslatable("scoped flags")
            return "(?:" + self.seq(sub, tail) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if lo > _RE2_MAX_REPEAT or (hi is not C.MAXREPEAT and hi > _RE2_MAX_REPEAT):
                raise _Untranslatable("repeat count above RE2's 1000")
            body = "(?:" + self.seq(sub, False) + ")"
            # greedy or lazy does not change whether a match exists, only which one
            if hi is C.MAXREPEAT:
                return body + ("*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}")
            if (lo, hi) == (0, 1):
                return body + "?"
            return body + (f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}")
        if op is C.AT:
            if av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
                return "^"
            if av is C.AT_END_STRING:
                return "\\z"
            if av is C.AT_END and tail:
                # Python's $: at the end, or before a newline that ends the string. Consuming that
                # newline is harmless only when nothing after the $ could consume anything.
                return "(?:\\n?\\z)"
            raise _Untranslatable(f"anchor {av} here")
        raise _Untranslatable(f"{op}")

    def in_(self, items) -> str:
        negate = bool(items) and items[0][0] is C.NEGATE
        parts = []
        for op, av in items[1:] if negate else items:
            if op is C.LITERAL:
                parts.append(_char(av))
            elif op is C.RANGE:
                lo, hi = av
                parts.append(f"{_char(lo)}-{_char(hi)}")
            elif op is C.CATEGORY:
                parts.append(_category(av))
            else:
                raise _Untranslatable(f"{op} in a class")
        body = "".join(parts)
        if not body:
            raise _Untranslatable("empty class")
        return f"[{'^' if negate else ''}{body}]"


def to_re2(pattern: str) -> tuple[tuple[bool, str], ...] | None:
    """RE2 patterns whose conjunction decides exactly what ``re.search(pattern, s)`` decides.

    Each entry is ``(must_match, re2_pattern)``: the value matches the Python pattern iff every
    ``must_match=True`` pattern matches it and no ``must_match=False`` one does. ``None`` means no
    exact translation (or the pattern does not compile in Python); evaluate with ``re`` instead.
    """
    try:
        parsed = P.parse(pattern, 0)
    except (re.error, RecursionError, OverflowError):
        return None
    if parsed.state.flags & _UNSUPPORTED_FLAGS:
        return None
    emitter = _Emitter(parsed.state.flags)
    items = list(parsed)
    try:
        anchored = bool(items) and items[0][0] is C.AT and items[0][1] in (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
        terms: list[tuple[bool, str]] = []
        rest = items
        if anchored:
            # ^(?=A)(?!B)...rest: each look-ahead is tested at position 0, independently of the rest
            i = 1
            while i < len(items) and items[i][0] in (C.ASSERT, C.ASSERT_NOT) and items[i][1][0] == 1:
                op, (_direction, sub) = items[i]
                terms.append((op is C.ASSERT, "^" + emitter.seq(sub, True)))
                i += 1
            rest = [items[0], *items[i:]]
        terms.insert(0, (True, emitter.seq(rest, True)))
    except _Untranslatable:
        return None
    return tuple(terms)
