"""Reading the published marts for the report, tolerating marts that do not exist (yet).

The report is built from whatever the night published. A section whose mart is missing, empty,
or lacks a column the section needs raises :class:`NotAvailable`, and the page shows that section
as "not available" with the reason — the rest of the report is still written. Columns are looked
up by a short list of accepted names so a mart that spells a column slightly differently (e.g.
``conversion_rate`` or ``rate``) still feeds its chart.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.publish.catalog import MARTS_SCHEMA, PublishedBuild
from orchestration.sql import quote_ident


class NotAvailable(Exception):
    """A section cannot be drawn; ``key`` and ``values`` name the i18n message that says why."""

    def __init__(self, key: str, **values):
        super().__init__(f"{key}: {values}")
        self.key = key
        self.values = values


@dataclass
class MartSource:
    con: duckdb.DuckDBPyConnection
    build: PublishedBuild

    def require(self, mart: str) -> None:
        m = self.build.mart(mart)
        if m is None:
            raise NotAvailable("mart_missing", mart=mart)
        if m.rows == 0:
            raise NotAvailable("mart_empty", mart=mart)

    def pick(self, mart: str, what: str, *names: str, required: bool = True) -> str | None:
        """The first of ``names`` that is a column of ``mart`` (``None``, or NotAvailable if required)."""
        self.require(mart)
        columns = set(self.build.mart(mart).column_names())
        found = next((n for n in names if n in columns), None)
        if found is None and required:
            raise NotAvailable("column_missing", mart=mart, what=what, names=", ".join(names))
        return found

    def has_column(self, mart: str, name: str) -> bool:
        m = self.build.mart(mart)
        return m is not None and name in m.column_names()

    def table(self, mart: str) -> str:
        return f"{MARTS_SCHEMA}.{quote_ident(mart)}"

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def q(name: str) -> str:
    """Shorthand for quoting a column name picked from a mart."""
    return quote_ident(name)


def number(value) -> float | int | None:
    """A JSON-friendly number (DuckDB hands back Decimal for DECIMAL columns)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return value
    return float(value)
