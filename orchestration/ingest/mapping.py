"""YAML mappings: a new CRM or spreadsheet export without writing code.

A mapping file describes one or more export files: how to recognise each by its header (and
optionally its file name), its encoding, delimiter and header line, and for each canonical table
it feeds, which file column fills which canonical column and how to read it. It produces the same
ReadPlans as a vendor adapter, so the loader's guarantees (quarantine, manifest, replace on
re-delivery) hold unchanged. See docs/adapters.md for the format.

Mappings are searched, most specific first: ``<landing>/_mappings/*.yml`` (travels with the
data), the folders in ``FUNNEL_MAPPINGS_DIR`` (``os.pathsep``-separated), then the mappings shipped
in the repository's ``mappings/``. A mapping whose name is already taken by an earlier folder is
skipped, so a team can override a shipped mapping by copying it into its landing folder.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from orchestration.ingest.adapters.base import (
    Col, PlanResult, ReadPlan, RecordCount, Unpivot, find_header, has_all, parse_line, ref, sniff_delimiter,
)
from orchestration.ingest.files import FileSample, confine, sample_file
from orchestration.ingest.mapping_schema import (
    COLUMN_KEYS, DETECT_KEYS, FILE_KEYS, SUMMARY_KEYS, TABLE_KEYS, TOP_KEYS, UNPIVOT_KEYS, Checker, MappingError,
)
from orchestration.sql import quote_literal

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "mappings"
LANDING_SUBDIR = "_mappings"
ENV_VAR = "FUNNEL_MAPPINGS_DIR"


@dataclass
class FileSpec:
    """One export file a mapping describes."""

    name: str
    headers: list[str]
    file_glob: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_line: int | None = None
    delivery: str = "snapshot"
    ignore: str | None = None
    tables: dict[str, tuple[dict[str, Col], Unpivot | None]] = field(default_factory=dict)
    summary_predicate_parts: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    footer: tuple[str, ...] = ()
    record_count: str | None = None
    notes: list[str] = field(default_factory=list)


class MappingAdapter:
    """An adapter built from a mapping file: recognises files by header, returns their plans."""

    def __init__(self, name: str, source_system: str, files: list[FileSpec], path: Path):
        self.name = f"mapping:{name}"
        self.mapping_name = name
        self.source_system = source_system
        self.files = files
        self.path = path

    def plan(self, sample: FileSample) -> PlanResult:
        for spec in self.files:
            plans = self._plan_for(spec, sample)
            if plans is not None:
                return plans
        return None

    def _plan_for(self, spec: FileSpec, sample: FileSample) -> list[ReadPlan] | None:
        if spec.file_glob and not fnmatch.fnmatch(sample.name.lower(), spec.file_glob.lower()):
            return None
        if spec.encoding and sample.kind == "text" and not sample.is_binary:
            sample = sample_file(sample.path, sample.relpath, declared_encoding=spec.encoding)
        found = self._header(spec, sample.lines)
        if found is None:
            return None
        line, delimiter = found
        common = dict(source_system=self.source_system, header_line=line, delimiter=delimiter,
                      delivery=spec.delivery, encoding=sample.encoding if sample.kind == "text" else None,
                      notes=list(spec.notes))
        adapter = f"{self.name}/{spec.name}"
        if spec.ignore:
            return [ReadPlan(adapter=adapter, target_table=None, ignore_reason=spec.ignore, **common)]
        summary = _summary_predicate(spec.summary_predicate_parts)
        return [
            ReadPlan(adapter=adapter, target_table=t, columns=dict(cols), summary_predicate=summary,
                     footer_patterns=spec.footer, unpivot=unpivot,
                     record_count=RecordCount(pattern=spec.record_count) if spec.record_count else None, **common)
            for t, (cols, unpivot) in spec.tables.items()
        ]

    @staticmethod
    def _header(spec: FileSpec, lines: list[str]) -> tuple[int, str] | None:
        if spec.header_line is not None:
            if spec.header_line >= len(lines):
                return None
            text = lines[spec.header_line]
            delimiter = spec.delimiter or sniff_delimiter(text)
            fields = [f.strip().lstrip("\ufeff") for f in parse_line(text, delimiter)]
            return (spec.header_line, delimiter) if has_all(fields, *spec.headers) else None
        delimiters = (spec.delimiter,) if spec.delimiter else (",", "\t", ";", "|")
        found = find_header(lines, lambda f: has_all(f, *spec.headers), delimiters)
        return (found[0], found[2]) if found else None


def _summary_predicate(parts: list[tuple[str, list[str], list[str]]]) -> str | None:
    """Summary rows from data (column + exact values / prefixes), as SQL built from literals only."""
    preds = []
    for column, values, prefixes in parts:
        cell = f"fw_text({ref(column)})"
        if values:
            preds.append(f"{cell} in ({', '.join(quote_literal(v) for v in values)})")
        preds.extend(f"starts_with({cell}, {quote_literal(p)})" for p in prefixes)
    return "(" + " or ".join(preds) + ")" if preds else None


def _column(c: Checker, table: str, name, spec, key: str) -> Col:
    c.column(table, name, key)
    if isinstance(spec, (str, list)):
        spec = {"source": spec}
    spec = c.mapping(spec, key, COLUMN_KEYS)
    if ("source" in spec) == ("const" in spec):
        c.fail(key, "give exactly one of 'source' (file column name or list of names) or 'const'")
    kind = c.kind(spec.get("kind", "text"), f"{key}.kind")
    source = c.texts(spec["source"], f"{key}.source") if "source" in spec else None
    tz = c.timezone(spec["timezone"], f"{key}.timezone") if "timezone" in spec else None
    if tz and kind != "timestamp":
        c.fail(f"{key}.timezone", "a time zone applies only to kind: timestamp (a date has no time to convert)")
    if "scale" in spec and kind not in ("number", "integer"):
        c.fail(f"{key}.scale", "scale applies only to kind: number or integer")
    return Col(
        source=tuple(source) if source else None,
        kind=kind,
        const=c.text(spec["const"], f"{key}.const") if "const" in spec else None,
        formats=c.formats(spec["formats"], f"{key}.formats") if "formats" in spec else None,
        timezone=tz,
        value_map=c.value_map(spec["value_map"], f"{key}.value_map") if "value_map" in spec else None,
        required=c.boolean(spec.get("required", False), f"{key}.required"),
        scale=c.number(spec["scale"], f"{key}.scale") if "scale" in spec else None,
    )


def _file_spec(c: Checker, raw, key: str) -> FileSpec:
    raw = c.mapping(raw, key, FILE_KEYS, required=("name", "detect"))
    detect = c.mapping(raw["detect"], f"{key}.detect", DETECT_KEYS, required=("headers",))
    spec = FileSpec(name=c.text(raw["name"], f"{key}.name"), headers=c.texts(detect["headers"], f"{key}.detect.headers"))
    spec.file_glob = c.text(detect["file_glob"], f"{key}.detect.file_glob") if "file_glob" in detect else None
    spec.encoding = c.encoding(raw["encoding"], f"{key}.encoding") if "encoding" in raw else None
    spec.delimiter = c.delimiter(raw["delimiter"], f"{key}.delimiter") if "delimiter" in raw else None
    spec.header_line = c.integer(raw["header_line"], f"{key}.header_line") if "header_line" in raw else None
    spec.delivery = raw.get("delivery", "snapshot")
    if spec.delivery not in ("snapshot", "delta"):
        c.fail(f"{key}.delivery", f"expected snapshot or delta, got {spec.delivery!r}")
    spec.notes = c.texts(raw["notes"], f"{key}.notes") if "notes" in raw else []
    if ("ignore" in raw) == ("tables" in raw):
        c.fail(key, "give exactly one of 'tables' (what to load) or 'ignore' (why this file is not loaded)")
    if "ignore" in raw:
        spec.ignore = c.text(raw["ignore"], f"{key}.ignore")
        return spec
    for i, part in enumerate(raw.get("summary_rows") or []):
        part = c.mapping(part, f"{key}.summary_rows[{i}]", SUMMARY_KEYS, required=("column",))
        spec.summary_predicate_parts.append((
            c.text(part["column"], f"{key}.summary_rows[{i}].column"),
            c.texts(part["values"], f"{key}.summary_rows[{i}].values") if "values" in part else [],
            c.texts(part["prefixes"], f"{key}.summary_rows[{i}].prefixes") if "prefixes" in part else []))
    spec.footer = tuple(c.regex(p, f"{key}.footer[{i}]") for i, p in enumerate(raw.get("footer") or []))
    if "record_count" in raw:
        spec.record_count = c.regex(raw["record_count"], f"{key}.record_count", groups=1)
    tables = c.mapping(raw["tables"], f"{key}.tables", set(raw["tables"]) if isinstance(raw["tables"], dict) else set())
    for t, body in tables.items():
        tkey = f"{key}.tables.{t}"
        c.table(t, tkey)
        body = c.mapping(body, tkey, TABLE_KEYS, required=("columns",))
        columns = c.mapping(body["columns"], f"{tkey}.columns", set(body["columns"] or {}))
        cols = {name: _column(c, t, name, s, f"{tkey}.columns.{name}") for name, s in columns.items()}
        unpivot = None
        if "unpivot" in body:
            u = c.mapping(body["unpivot"], f"{tkey}.unpivot", UNPIVOT_KEYS, required=("pattern",))
            comps = u.get("companions") or {}
            unpivot = Unpivot(pattern=c.regex(u["pattern"], f"{tkey}.unpivot.pattern"),
                              companions={str(k): c.text(v, f"{tkey}.unpivot.companions.{k}") for k, v in comps.items()})
        spec.tables[t] = (cols, unpivot)
    return spec


def load_mapping_file(path: Path) -> MappingAdapter:
    """Parse and validate one mapping file (raises MappingError naming the file and the key)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(path, "", f"cannot be read as UTF-8 YAML: {exc}") from None
    c = Checker(path)
    data = c.mapping(data, "", TOP_KEYS, required=("mapping", "files"))
    name = c.text(data["mapping"], "mapping")
    if not isinstance(data["files"], list) or not data["files"]:
        c.fail("files", "expected a list of file descriptions")
    files = [_file_spec(c, f, f"files[{i}]") for i, f in enumerate(data["files"])]
    return MappingAdapter(name, c.text(data.get("source_system", name), "source_system"), files, path)


def mapping_dirs(landing_dir: Path | None = None) -> list[Path]:
    """Folders searched for mappings, most specific first."""
    dirs = [landing_dir / LANDING_SUBDIR] if landing_dir else []
    dirs += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    dirs.append(SHIPPED_DIR)
    return dirs


def load_mappings(landing_dir: Path | None = None) -> tuple[list[MappingAdapter], list[MappingError]]:
    """Every valid mapping on the search path, and an error for each invalid one."""
    adapters: list[MappingAdapter] = []
    errors: list[MappingError] = []
    seen: set[str] = set()
    for folder in mapping_dirs(landing_dir):
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
            try:
                if landing_dir is not None and folder == landing_dir / LANDING_SUBDIR:
                    path = confine(path, landing_dir)
                adapter = load_mapping_file(path)
            except MappingError as exc:
                errors.append(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a broken file must not hide the others
                errors.append(MappingError(path, "", str(exc)))
                continue
            if adapter.mapping_name not in seen:
                seen.add(adapter.mapping_name)
                adapters.append(adapter)
    return adapters, errors
