"""The contract every adapter shares: recognise a file by its content, then describe how to read it.

An adapter never touches the warehouse. It returns a :class:`ReadPlan` — where the header is, which
rows are summaries, and how each canonical column is computed from the file's columns — and the
loader executes every plan the same way (typing, quarantine, manifest, replace-on-redelivery).
A new vendor is one new module that returns plans; YAML mappings produce the same plans.

One file may feed several tables (a HubSpot deals export is both opportunities and, through its
wide ``Date entered "<stage>"`` columns, stage history): ``plan`` then returns a list, and the
loader loads the plans of one file together or not at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Literal, Protocol

from orchestration.ingest.files import FileSample

Kind = Literal["text", "id", "number", "integer", "timestamp", "date", "bool"]


@dataclass(frozen=True)
class Col:
    """How one canonical column is computed.

    ``source`` names the file column(s) to read (first one present wins, matched
    case-insensitively); ``const`` is a fixed value; ``expr`` is an SQL expression written by an
    adapter in code (never taken from a file or a mapping) with ``ref("Header")`` placeholders
    that the loader replaces by quoted column references (or NULL when the file lacks them).
    """

    source: str | tuple[str, ...] | None = None
    kind: Kind = "text"
    const: str | None = None
    expr: str | None = None
    formats: tuple[str, ...] | None = None
    timezone: str | None = None
    value_map: dict[str, str] | None = None
    required: bool = False
    scale: float | None = None  # numbers: multiply (exports "in thousands", revenue "in millions")

    @property
    def sources(self) -> tuple[str, ...]:
        if self.source is None:
            return ()
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


@dataclass(frozen=True)
class TotalCheck:
    """Cross-check loaded sums against a summary row the vendor wrote (e.g. Google Ads totals)."""

    label_predicate: str  # SQL predicate over source columns selecting the total row
    label: str
    measures: dict[str, str]  # canonical measure column -> source column in the total row
    tolerance_per_row: float = 0.006  # rounding of 2-decimal figures, per summed row


@dataclass(frozen=True)
class RecordCount:
    """The number of records a report says it holds, checked against the records read.

    Either ``expected`` (read by the adapter from the preamble, e.g. Microsoft Advertising's
    ``Rows: 12``) or ``pattern``: a regular expression whose first group captures the count in a
    summary or footer row (Salesforce's ``Grand Totals (123 records)``). A mismatch rejects the
    file: a report that lost or gained rows between the vendor and us must not load silently.
    """

    pattern: str | None = None
    expected: int | None = None
    label: str = "record count"


@dataclass(frozen=True)
class Unpivot:
    """Wide → long: one output row per non-empty cell of the columns whose header matches.

    ``pattern`` is a regular expression matched against whole header names; its named groups
    become columns the plan can read with ``unpivot_col(group)``, the matched cell is
    ``unpivot_col("value")``, and each ``companions`` entry names a sibling column found by a
    template over the same groups (HubSpot: ``Date exited "{key}"`` beside ``Date entered
    "{key}"``). Row counts in the manifest then count cells (stage entries) read, not lines.
    """

    pattern: str
    companions: dict[str, str] = field(default_factory=dict)


UNPIVOT_PREFIX = "_fw_u_"


def unpivot_col(name: str) -> str:
    """The source name under which an unpivoted value (or a pattern group) is read."""
    return f"{UNPIVOT_PREFIX}{name}"


@dataclass
class ReadPlan:
    """Everything the loader needs to read one file into one canonical table.

    Rows matching ``summary_predicate`` or ``footer_patterns`` and all-blank rows are excluded and
    counted (``rows_summary``); ``encoding`` (from a mapping) overrides the detected one.
    """

    adapter: str
    source_system: str
    target_table: str | None
    columns: dict[str, Col] = field(default_factory=dict)
    header_line: int = 0  # 0-based index of the header line (lines before it are preamble)
    delimiter: str = ","
    summary_predicate: str | None = None  # SQL over source columns: True for vendor summary rows
    total_check: TotalCheck | None = None
    ignore_reason: str | None = None  # recognised but deliberately not loaded
    footer_patterns: tuple[str, ...] = ()  # regexes for whole footer lines (copyright, confidentiality)
    record_count: RecordCount | None = None
    unpivot: Unpivot | None = None
    delivery: Literal["snapshot", "delta"] = "snapshot"
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


PlanResult = ReadPlan | list[ReadPlan] | None


class Adapter(Protocol):
    name: str

    def plan(self, sample: FileSample) -> PlanResult:
        """Return a plan (or one plan per target table) when this adapter recognises the file, else None."""


def parse_line(line: str, delimiter: str = ",") -> list[str]:
    """Split one CSV line the way the CSV reader will (quotes honoured)."""
    try:
        return next(csv.reader(io.StringIO(line), delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


def sniff_delimiter(line: str) -> str:
    """Pick the delimiter that splits a header line into the most fields."""
    best, best_n = ",", 0
    for d in (",", "\t", ";", "|"):
        n = len(parse_line(line, d))
        if n > best_n:
            best, best_n = d, n
    return best


def find_header(lines: list[str], matches, delimiters: tuple[str, ...] = (",",), max_lines: int = 40):
    """The first line (within ``max_lines``) that ``matches`` as a header: ``(index, fields, delimiter)``.

    Reports put titles, date ranges and filters above the header; the header is recognised by
    its column names, never by a fixed line number, so an extra preamble line does not break it.
    """
    for i, line in enumerate(lines[:max_lines]):
        for d in delimiters:
            fields = [f.strip().lstrip("\ufeff") for f in parse_line(line, d)]
            if len(fields) > 1 and matches(fields):
                return i, fields, d
    return None


def header_set(fields: list[str]) -> set[str]:
    return {f.strip().lstrip("\ufeff").lower() for f in fields}


def has_all(fields: list[str], *names: str) -> bool:
    hs = header_set(fields)
    return all(n.lower() in hs for n in names)


def has_any(fields: list[str], *names: str) -> bool:
    hs = header_set(fields)
    return any(n.lower() in hs for n in names)


# Column references inside Col.expr: the loader swaps each for the quoted name of the matching
# file column (or NULL when the file lacks it). Control characters cannot occur in a header the
# loader accepts, so a header can never forge or break a reference.
REF_OPEN, REF_CLOSE = "\x01", "\x02"


def ref(name: str) -> str:
    """Reference a file column by its header name inside a ``Col.expr``."""
    return f"{REF_OPEN}{name}{REF_CLOSE}"
