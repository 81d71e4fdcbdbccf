"""Ingest a landing folder: recognise every file, load it, and report what happened to each.

One bad file never hides the others: good files load, and every rejected file is listed with its
reason. The caller (Dagster asset or CLI) fails the build when any file was rejected, so nothing
downstream runs on a partial delivery and the published warehouse keeps yesterday's version.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb

from orchestration.ingest.adapters import BUILTIN_ADAPTERS, Adapter, ReadPlan
from orchestration.ingest.adapters.base import PlanResult
from orchestration.ingest.errors import FileRejected, UnrecognizedFile
from orchestration.ingest.files import FileSample, confine, discover_files, sample_file, sha256_of
from orchestration.ingest.fingerprints import ensure_fingerprint_table, record_sha256, recorded_sha256
from orchestration.ingest.loader import LoadResult, load_plans, loaded_targets, make_load_id
from orchestration.ingest.mapping import ENV_VAR, LANDING_SUBDIR, load_mappings
from orchestration.ingest.memory import IngestMemory, ingest_memory_limit
from orchestration.ingest.parsing import install_macros
from orchestration.ingest.xlsx import xlsx_head, xlsx_to_csv
from orchestration.warehouse import ensure_raw_tables


@dataclass
class IngestReport:
    results: list[LoadResult] = field(default_factory=list)
    errors: list[FileRejected] = field(default_factory=list)

    @property
    def loaded(self) -> list[LoadResult]:
        return [r for r in self.results if r.status == "loaded"]

    @property
    def new_load_ids(self) -> dict[str, list[str]]:  # one load per (file, table)
        """Load ids of this run per target table: the delivery the quality checks validate."""
        out: dict[str, list[str]] = {}
        for r in self.loaded:
            out.setdefault(r.target_table, []).append(r.load_id)
        return out

    def summary(self) -> str:
        files = {r.source_file for r in self.loaded}
        lines = [f"{len(self.loaded)} load(s) from {len(files)} file(s), "
                 f"{sum(r.status == 'unchanged' for r in self.results)} unchanged, "
                 f"{sum(r.status == 'ignored' for r in self.results)} ignored, {len(self.errors)} rejected"]
        for r in self.results:
            if r.status == "loaded":
                lines.append(f"  {r.source_file} → raw.{r.target_table}: read {r.rows_read}, loaded {r.rows_loaded}, "
                             f"quarantined {r.rows_quarantined}, summary rows {r.rows_summary}")
        for e in self.errors:
            lines.append(f"  REJECTED {e}")
        return "\n".join(lines)


def _plans(result: PlanResult) -> list[ReadPlan]:
    plans = [] if result is None else ([result] if isinstance(result, ReadPlan) else list(result))
    targets = [p.target_table for p in plans if p.target_table]
    if len(targets) != len(set(targets)):
        raise ValueError(f"an adapter returned two plans for the same table: {targets}")
    return plans


def recognise(sample: FileSample, adapters: list[Adapter]) -> list[ReadPlan]:
    """The plans of the first adapter (mappings first, then vendor adapters) that recognises the file."""
    for adapter in adapters:
        plans = _plans(adapter.plan(sample))
        if plans:
            return plans
    head = sample.lines[0][:200] if sample.lines else "(no text)"
    tried = ", ".join(a.name for a in adapters)
    raise UnrecognizedFile(
        sample.relpath,
        f"no adapter recognised this file by its header (tried: {tried}); its first line is: {head!r}",
        hint=f"if this is a vendor's standard export, check it was exported unedited with its standard columns; "
             f"otherwise describe it in a YAML mapping (docs/adapters.md, 'Writing a YAML mapping') and put it in "
             f"{LANDING_SUBDIR}/ inside the landing folder, in ${ENV_VAR}, or in the repository's mappings/",
    )


def _sample(path: Path, relpath: str) -> FileSample:
    """Decoded first lines for recognition; for a workbook, its first rows (no full conversion yet)."""
    sample = sample_file(path, relpath)
    if sample.kind == "empty":
        raise FileRejected(relpath, "the file is empty (0 bytes or only whitespace)",
                           hint="re-run the export; an empty file usually means it failed")
    if sample.kind == "xlsx":
        return FileSample(path, relpath, "utf-8", xlsx_head(path, relpath), kind="xlsx")
    if sample.is_binary:
        raise FileRejected(relpath, f"is not text (detected {sample.kind} content); expected a CSV/TSV export or XLSX",
                           hint="a ZIP must be unpacked into the landing folder first" if sample.kind == "zip" else
                           "deliver the CSV/XLSX export itself, not a compressed, PDF or image file")
    return sample


def _readable(path: Path, sample: FileSample, plans: list[ReadPlan], work: Path) -> tuple[Path, str]:
    """The file the loader reads (a workbook converted to CSV) and its encoding."""
    if sample.kind == "xlsx":
        return xlsx_to_csv(path, sample.relpath, work), "utf-8"
    declared = next((p.encoding for p in plans if p.encoding), None)
    return path, declared or sample.encoding


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    *,
    adapters: list[Adapter] | None = None,
    workdir: Path | None = None,
    memory_limit: str | None = None,
) -> IngestReport:
    """Load every new or changed file under ``landing_dir`` into the raw tables.

    Without ``adapters``, the YAML mappings on the search path (see ``mapping.py``) are tried
    first, then the built-in vendor adapters. An invalid mapping file is reported as an error
    (the build fails) while every file that does not need it still loads.

    DuckDB's memory limit is lowered to ``memory_limit`` (default ``FUNNEL_INGEST_MEMORY_LIMIT``,
    1GB) for the duration, so a big file spills to disk instead of growing the process; a file
    too wide for that budget is read again with the connection's limit (see ``memory.py``).
    """
    report = IngestReport()
    if adapters is None:
        mapped, mapping_errors = load_mappings(landing_dir)
        report.errors.extend(mapping_errors)
        adapters = [*mapped, *BUILTIN_ADAPTERS]
    ensure_raw_tables(con)
    ensure_fingerprint_table(con)
    install_macros(con)
    own_tmp = workdir is None
    work = Path(tempfile.mkdtemp(prefix="funnel-ingest-")) if own_tmp else workdir
    work.mkdir(parents=True, exist_ok=True)
    try:
        with IngestMemory(con, memory_limit or ingest_memory_limit()) as memory:
            for path in discover_files(landing_dir):
                relpath = path.relative_to(landing_dir.resolve()).as_posix() \
                    if path.is_relative_to(landing_dir.resolve()) else path.name
                try:
                    report.results.extend(_ingest_file(con, path, relpath, landing_dir, adapters, work, memory))
                except FileRejected as exc:
                    report.errors.append(exc)
                except OSError as exc:  # unreadable, vanished mid-run (a sync job), I/O error: this file only
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):  # the machine's problem, not the file's
                        raise
                    report.errors.append(FileRejected(relpath, f"cannot be read: {exc.strerror or exc}",
                                                      hint="check the file's permissions and that no other program "
                                                           "is still writing or moving it, then re-run"))
    finally:
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _sha256(con, real: Path, relpath: str) -> str:
    """The file's SHA-256: recorded with its unchanged stat fingerprint, else read (``fingerprints.py``)."""
    stat = real.stat()
    sha = recorded_sha256(con, relpath, stat)
    if sha is None:
        sha = sha256_of(real)
        record_sha256(con, relpath, real, stat, sha)
    return sha


def _ingest_file(con, path: Path, relpath: str, landing_dir: Path, adapters: list[Adapter], work: Path,
                 memory: IngestMemory) -> list[LoadResult]:
    """Recognise one file and load the plans not yet loaded for these exact bytes.

    A workbook already loaded at this path with these bytes is skipped before it is opened:
    opening an XLSX costs far more than hashing it. A text file is recognised again, so a table
    added to its plans since (e.g. by a new mapping) is loaded while the others stay unchanged.
    """
    real = confine(path, landing_dir, relpath)
    sha = _sha256(con, real, relpath)
    done = loaded_targets(con, relpath, sha)
    if done and real.suffix.lower() in (".xlsx", ".xlsm"):
        return [LoadResult(relpath, lid, "", t, "unchanged") for t, lid in done.items()]
    sample = _sample(real, relpath)
    try:
        plans = recognise(sample, adapters)
    except UnrecognizedFile:
        if done:  # loaded earlier by an adapter or mapping since removed: these bytes are in the warehouse
            return [LoadResult(relpath, lid, "", t, "unchanged") for t, lid in done.items()]
        raise
    pending = [p for p in plans if p.target_table not in done]
    results = [LoadResult(relpath, done[p.target_table], p.adapter, p.target_table, "unchanged")
               for p in plans if p.target_table in done]
    if pending:
        readable, encoding = _readable(real, sample, pending, work)
        load = partial(load_plans, con, readable, relpath, pending, encoding=encoding, sha256=sha,
                       file_bytes=real.stat().st_size, workdir=work)
        try:
            try:
                results.extend(load())
            except duckdb.OutOfMemoryException:  # rolled back whole: read it again as before the budget
                if not memory.lowered:
                    raise
                with memory.lifted():
                    results.extend(load(note=f"read twice: it did not fit the ingest memory budget "
                                             f"({memory.budget_text}), so it was read again with the "
                                             f"warehouse connection's limit ({memory.before})"))
        finally:
            if readable != real:
                readable.unlink(missing_ok=True)
    return results


__all__ = ["IngestReport", "ingest_landing", "make_load_id", "recognise"]
