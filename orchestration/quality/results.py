"""What one quality run found, in a shape Dagster, people and ``quality.dq_results`` can all read.

Both kinds of check (GX expectations validated per chunk, and delivery-level checks computed in
DuckDB) produce the same ``ExpectationResult``, so nothing downstream needs to know which ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any


def short_file(path: str) -> str:
    """File name without folders, for messages (the full value stays in ``source_files``)."""
    return PurePath(path).name or path


def _files_text(files: tuple[str, ...] | list[str]) -> str:
    names = sorted({short_file(f) for f in files if f})
    if not names:
        return "an empty delivery"
    if len(names) > 3:
        return ", ".join(names[:3]) + f" and {len(names) - 3} more file(s)"
    return ", ".join(names)


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of one suite entry on one delivery (counts are over the whole delivery)."""

    table: str
    name: str
    expectation: str
    severity: str
    success: bool
    why: str = ""
    columns: tuple[str, ...] = ()
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    mostly: float | None = None
    sample_values: tuple[str, ...] = ()  # at most config.sample_size, PII masked
    sample_locations: tuple[str, ...] = ()  # "file.csv:17" for the samples, where known
    source_files: tuple[str, ...] = ()  # files the failing rows came from (else the delivery's)
    error: str | None = None  # the check could not be evaluated (counts as a failure)

    @property
    def is_critical(self) -> bool:
        return self.severity == "critical"

    @property
    def message(self) -> str:
        """One line for a person: what failed, where, how much, and an example."""
        target = f"{self.expectation} on {', '.join(self.columns)}" if self.columns else self.expectation
        head = f"{self.table}.{self.name} ({self.severity})"
        where = _files_text(self.source_files)
        if self.success:
            return f"{head} passed on {where}: {target}"
        if self.error:
            return f"{head} could not be evaluated on {where}: {self.error}"
        if self.unexpected_count is not None:
            total = self.element_count if self.element_count is not None else "?"
            pct = f"{self.unexpected_percent:.2f}%" if self.unexpected_percent is not None else "?%"
            allowed = ""
            if self.mostly is not None and self.mostly < 1:
                allowed = f", at most {100 * (1 - self.mostly):.2f}% allowed"
            text = f"{head} failed on {where}: {self.unexpected_count} of {total} rows unexpected ({pct}{allowed}) — {target}"
        else:
            text = f"{head} failed on {where}: observed {self.observed_value} — {target}"
        if self.sample_values:
            examples = [
                f"{v} at {loc}" if loc else v
                for v, loc in zip(self.sample_values, self.sample_locations + ("",) * len(self.sample_values))
            ]
            text += "; e.g. " + "; ".join(examples)
        return text + f". Why it matters: {self.why}" if self.why else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expectation": self.expectation,
            "severity": self.severity,
            "success": self.success,
            "columns": list(self.columns),
            "observed_value": self.observed_value,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "sample_values": list(self.sample_values),
            "sample_locations": list(self.sample_locations),
            "error": self.error,
        }


@dataclass(frozen=True)
class SuiteResult:
    """One table's suite on one delivery. ``passed`` is what gates the build."""

    table: str
    run_id: str
    load_ids: tuple[str, ...]
    source_files: tuple[str, ...]
    row_count: int
    checked_at: datetime
    results: tuple[ExpectationResult, ...]
    duration_seconds: float = 0.0
    chunk_count: int = 0
    suite_path: str = ""

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        return tuple(r for r in self.results if not r.success)

    @property
    def critical_failures(self) -> tuple[ExpectationResult, ...]:
        return tuple(r for r in self.failures if r.is_critical)

    @property
    def warnings(self) -> tuple[ExpectationResult, ...]:
        """Failed warning-level expectations: recorded and shown, never blocking."""
        return tuple(r for r in self.failures if not r.is_critical)

    @property
    def passed(self) -> bool:
        """No critical expectation failed (warnings do not stop the build)."""
        return not self.critical_failures

    @property
    def severity(self) -> str | None:
        """'critical' if the delivery must be blocked, 'warning' if only warnings failed, else None."""
        if self.critical_failures:
            return "critical"
        if self.warnings:
            return "warning"
        return None

    def result(self, name: str) -> ExpectationResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"{self.table}: no expectation named {name!r}; have {[r.name for r in self.results]}")

    @property
    def description(self) -> str:
        """A one-line summary, for a Dagster asset-check description or an alert subject."""
        files = _files_text(self.source_files)
        n = len(self.results)
        if not self.failures:
            return f"{self.table}: all {n} expectations passed on {files} ({self.row_count} rows)"
        parts = []
        if self.critical_failures:
            parts.append(f"{len(self.critical_failures)} critical ({', '.join(r.name for r in self.critical_failures)})")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning ({', '.join(r.name for r in self.warnings)})")
        return f"{self.table}: {' and '.join(parts)} of {n} expectations failed on {files} ({self.row_count} rows)"

    @property
    def message(self) -> str:
        """The summary line, then one line per failed expectation (critical first)."""
        lines = [self.description]
        lines += [f"- {r.message}" for r in self.critical_failures + self.warnings]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A table of every expectation, for ``MetadataValue.md`` in the Dagster UI."""
        rows = ["| expectation | severity | result | unexpected | samples |", "|---|---|---|---|---|"]
        for r in sorted(self.results, key=lambda r: (r.success, not r.is_critical, r.name)):
            status = "pass" if r.success else ("error" if r.error else "**FAIL**")
            unexpected = "" if r.unexpected_count is None else f"{r.unexpected_count} ({(r.unexpected_percent or 0):.2f}%)"
            samples = ", ".join(f"`{s}`" for s in r.sample_values).replace("|", "\\|")
            rows.append(f"| {r.name} | {r.severity} | {status} | {unexpected} | {samples} |")
        return "\n".join(rows)

    def to_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values keyed for Dagster metadata (wrap the markdown with MetadataValue.md)."""
        return {
            "table": self.table,
            "run_id": self.run_id,
            "passed": self.passed,
            "rows": self.row_count,
            "load_ids": list(self.load_ids),
            "source_files": list(self.source_files),
            "expectations": len(self.results),
            "critical_failures": [r.name for r in self.critical_failures],
            "warnings": [r.name for r in self.warnings],
            "failed": {r.name: r.to_dict() for r in self.failures},
            "summary": self.to_markdown(),
            "duration_seconds": round(self.duration_seconds, 3),
            "chunks": self.chunk_count,
            "suite": self.suite_path,
        }
