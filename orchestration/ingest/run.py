"""Ingest a landing folder: recognise every file, load it, and report what happened to each.

One bad file never hides the others: good files load, and every rejected file is listed with its
reason. The caller (Dagster asset or CLI) fails the build when any file was rejected, so nothing
downstream runs on a partial delivery and the published warehouse keeps yesterday's version.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.ingest.adapters import BUILTIN_ADAPTERS, Adapter, ReadPlan
from orchestration.ingest.errors import FileRejected, UnrecognizedFile
from orchestration.ingest.files import FileSample, confine, discover_files, sample_file, sha256_of
from orchestration.ingest.loader import LoadResult, already_loaded, load_file, make_load_id
from orchestration.ingest.parsing import install_macros
from orchestration.ingest.xlsx import xlsx_to_csv
from orchestration.warehouse import ensure_raw_tables


@dataclass
class IngestReport:
    results: list[LoadResult] = field(default_factory=list)
    errors: list[FileRejected] = field(default_factory=list)

    @property
    def loaded(self) -> list[LoadResult]:
        return [r for r in self.results if r.status == "loaded"]

    @property
    def new_load_ids(self) -> dict[str, list[str]]:
        """Load ids of this run per target table: the delivery the quality checks validate."""
        out: dict[str, list[str]] = {}
        for r in self.loaded:
            out.setdefault(r.target_table, []).append(r.load_id)
        return out

    def summary(self) -> str:
        lines = [f"{len(self.loaded)} file(s) loaded, {sum(r.status == 'unchanged' for r in self.results)} unchanged, "
                 f"{sum(r.status == 'ignored' for r in self.results)} ignored, {len(self.errors)} rejected"]
        for r in self.results:
            if r.status == "loaded":
                lines.append(f"  {r.source_file} → raw.{r.target_table}: read {r.rows_read}, loaded {r.rows_loaded}, "
                             f"quarantined {r.rows_quarantined}, summary rows {r.rows_summary}")
        for e in self.errors:
            lines.append(f"  REJECTED {e}")
        return "\n".join(lines)


def recognise(sample: FileSample, adapters: list[Adapter]) -> ReadPlan:
    for adapter in adapters:
        plan = adapter.plan(sample)
        if plan is not None:
            return plan
    head = sample.lines[0][:200] if sample.lines else "(no text)"
    raise UnrecognizedFile(
        sample.relpath,
        f"no adapter recognised this file (tried: {', '.join(a.name for a in adapters)}); its first line is: {head!r}",
        hint="add a YAML mapping for this export (README 'Bring your own exports'), or check that the file is the "
             "vendor's standard export",
    )


def _prepare(path: Path, relpath: str, workdir: Path) -> tuple[Path, FileSample]:
    sample = sample_file(path, relpath)
    if sample.kind == "empty":
        raise FileRejected(relpath, "the file is empty (0 bytes or only whitespace)",
                           hint="re-run the export; an empty file usually means it failed")
    if sample.kind == "xlsx":
        csv_path = xlsx_to_csv(path, relpath, workdir)
        return csv_path, sample_file(csv_path, relpath)
    if sample.is_binary:
        raise FileRejected(relpath, f"is not text (detected {sample.kind} content); expected a CSV/TSV export or XLSX",
                           hint="a ZIP must be unpacked into the landing folder first")
    return path, sample


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    *,
    adapters: list[Adapter] | None = None,
    workdir: Path | None = None,
) -> IngestReport:
    """Load every new or changed file under ``landing_dir`` into the raw tables."""
    adapters = adapters if adapters is not None else BUILTIN_ADAPTERS
    ensure_raw_tables(con)
    install_macros(con)
    report = IngestReport()
    own_tmp = workdir is None
    work = Path(tempfile.mkdtemp(prefix="funnel-ingest-")) if own_tmp else workdir
    work.mkdir(parents=True, exist_ok=True)
    try:
        for path in discover_files(landing_dir):
            relpath = path.relative_to(landing_dir.resolve()).as_posix() if path.is_relative_to(landing_dir.resolve()) \
                else path.name
            try:
                real = confine(path, landing_dir)
                sha = sha256_of(real)
                prior = already_loaded(con, relpath, sha)
                if prior:
                    report.results.append(LoadResult(relpath, prior, "", None, "unchanged"))
                    continue
                readable, sample = _prepare(real, relpath, work)
                plan = recognise(sample, adapters)
                report.results.append(load_file(
                    con, readable, relpath, plan, encoding=sample.encoding, sha256=sha,
                    file_bytes=real.stat().st_size, workdir=work))
            except FileRejected as exc:
                report.errors.append(exc)
    finally:
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)
    return report


__all__ = ["IngestReport", "ingest_landing", "make_load_id", "recognise"]
