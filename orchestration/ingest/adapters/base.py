"""The contract every adapter shares: recognise a file by its content, then describe how to read it.

An adapter never touches the warehouse. It returns a :class:`ReadPlan` — where the header is, which
rows are summaries, and how each canonical column is computed from the file's columns — and the
loader executes every plan the same way (typing, quarantine, manifest, replace-on-redelivery).
A new vendor is one new module that returns plans; YAML mappings produce the same plans.
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
    adapter in code (never taken from a file or a mapping) with ``{Header}`` placeholders that the
    loader replaces by quoted column references.
    """

    source: str | tuple[str, ...] | None = None
    kind: Kind = "text"
    const: str | None = None
    expr: str | None = None
    formats: tuple[str, ...] | None = None
    timezone: str | None = None
    value_map: dict[str, str] | None = None
    required: bool = False

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


@dataclass
class ReadPlan:
    """Everything the loader needs to read one file into one canonical table."""

    adapter: str
    source_system: str
    target_table: str | None
    columns: dict[str, Col] = field(default_factory=dict)
    header_line: int = 0  # 0-based index of the header line (lines before it are preamble)
    delimiter: str = ","
    summary_predicate: str | None = None  # SQL over source columns: True for vendor summary rows
    total_check: TotalCheck | None = None
    ignore_reason: str | None = None  # recognised but deliberately not loaded
    delivery: Literal["snapshot", "delta"] = "snapshot"
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


class Adapter(Protocol):
    name: str

    def plan(self, sample: FileSample) -> ReadPlan | None:
        """Return a plan when this adapter recognises the file, else None."""


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
