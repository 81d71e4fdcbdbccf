"""Reading the reviewable suites in ``expectations/`` and checking them before anything runs.

A suite file is data an analyst edits, so every mistake in it must come back as one sentence that
names the file, the entry and what was expected, before Great Expectations is even imported. This
module never imports GX; the GX-specific part of the check (does the expectation type exist, do its
kwargs validate) happens in ``gx_runner.build_gx_suite`` and reports the same way.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

import yaml

from orchestration.canonical import TABLES, CanonicalTable
from orchestration.quality.delivery_checks import DELIVERY_CHECKS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_SEEDS_DIR = REPO_ROOT / "dbt_project" / "seeds"
CONFIG_FILE = "config.yml"

SEVERITIES = ("critical", "warning")
ENTRY_KEYS = ("name", "expectation", "kwargs", "severity", "why")
SUITE_KEYS = ("table", "description", "derived_columns", "expectations")
# Parameters every suite may use without declaring them; their values depend on the run.
BUILTIN_PARAMETERS = ("date_floor", "now")
# kwargs that name columns of the table, checked against the canonical schema.
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list", "column_set")

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_RE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class SuiteError(ValueError):
    """A suite or config file is wrong; the message says where and how to fix it."""


@dataclass(frozen=True)
class ExpectationSpec:
    """One entry of a suite file, as written (``${name}`` parameters not yet substituted)."""

    name: str
    expectation: str
    kwargs: Mapping[str, Any]
    severity: str
    why: str
    where: str  # "expectations/crm_leads.yml: expectations[3] (email_well_formed)"

    @property
    def is_delivery_check(self) -> bool:
        """True for checks computed on the whole delivery in DuckDB rather than per chunk in GX."""
        return self.expectation in DELIVERY_CHECKS

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation looks at, in kwargs order (for messages and PII masking)."""
        cols: list[str] = [self.kwargs[k] for k in COLUMN_KWARGS if isinstance(self.kwargs.get(k), str)]
        if isinstance(self.kwargs.get("column_list"), list):
            cols.extend(self.kwargs["column_list"])
        return tuple(cols)


@dataclass(frozen=True)
class Suite:
    table: str
    path: Path
    expectations: tuple[ExpectationSpec, ...]
    derived_columns: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def spec(self, name: str) -> ExpectationSpec:
        for s in self.expectations:
            if s.name == name:
                return s
        raise KeyError(f"{self.path.name}: no expectation named {name!r}")


@dataclass(frozen=True)
class VolumeConfig:
    history_deliveries: int = 7
    min_history: int = 3
    lower_ratio: float = 0.5
    upper_ratio: float = 2.0
    statuses: tuple[str, ...] = ("loaded", "replaced")
    grain: str = "day"


@dataclass(frozen=True)
class StageMappingConfig:
    seed: str = "stage_mapping.csv"
    match_source_system: bool = True
    any_source_system: tuple[str, ...] = ("", "*", "any", "all", "default")


@dataclass(frozen=True)
class QualityConfig:
    path: Path
    date_floor: datetime = datetime(2000, 1, 1)
    future_tolerance: timedelta = timedelta(hours=24)
    chunk_rows: int = 50_000
    sample_size: int = 5
    volume: VolumeConfig = VolumeConfig()
    stage_mapping: StageMappingConfig = StageMappingConfig()
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def run_parameters(self, now: datetime) -> dict[str, Any]:
        """Every ``${name}`` value for one run: the configured ones plus ``date_floor`` and ``now``."""
        return {**self.parameters, "date_floor": self.date_floor, "now": now + self.future_tolerance}


# ---------------------------------------------------------------------------------------------
# reading files


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise SuiteError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SuiteError(f"{path}:{at}: not valid YAML: {e.problem}") from None
    except yaml.YAMLError as e:
        raise SuiteError(f"{path}: not valid YAML: {e}") from None


def _as_datetime(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _as_datetime(date.fromisoformat(value.strip()), where)
        except ValueError:
            pass
    raise SuiteError(f"{where}: expected a date like 2000-01-01, got {value!r}")


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SuiteError(f"{where}: expected a whole number above 0, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SuiteError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def _check_keys(mapping: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in mapping if k not in allowed]
    if unknown:
        raise SuiteError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(allowed)}")


def load_config(expectations_dir: Path | None = None) -> QualityConfig:
    """Read ``expectations/config.yml``; every key is optional and has the default shown there."""
    directory = Path(expectations_dir or DEFAULT_EXPECTATIONS_DIR)
    path = directory / CONFIG_FILE
    raw = _read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: expected a mapping of settings at the top level")
    _check_keys(
        raw,
        # "freshness" is read by orchestration.quality.freshness (the per-source cadence checks)
        ("date_floor", "future_tolerance_hours", "chunk_rows", "sample_size", "volume", "stage_mapping", "parameters",
         "freshness"),
        str(path),
    )
    base = QualityConfig(path=path)

    vol_raw = raw.get("volume") or {}
    if not isinstance(vol_raw, dict):
        raise SuiteError(f"{path}: volume: expected a mapping")
    _check_keys(vol_raw, tuple(VolumeConfig.__dataclass_fields__), f"{path}: volume")
    v = VolumeConfig()
    grain = vol_raw.get("grain", v.grain)
    if grain not in ("day", "load"):
        raise SuiteError(f"{path}: volume.grain: expected 'day' or 'load', got {grain!r}")
    statuses = vol_raw.get("statuses", list(v.statuses))
    if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
        raise SuiteError(f"{path}: volume.statuses: expected a list of status names")
    volume = VolumeConfig(
        history_deliveries=_positive_int(vol_raw.get("history_deliveries", v.history_deliveries), f"{path}: volume.history_deliveries"),
        min_history=_positive_int(vol_raw.get("min_history", v.min_history), f"{path}: volume.min_history"),
        lower_ratio=_number(vol_raw.get("lower_ratio", v.lower_ratio), f"{path}: volume.lower_ratio"),
        upper_ratio=_number(vol_raw.get("upper_ratio", v.upper_ratio), f"{path}: volume.upper_ratio"),
        statuses=tuple(s.strip().lower() for s in statuses),
        grain=grain,
    )
    if volume.lower_ratio > volume.upper_ratio:
        raise SuiteError(f"{path}: volume: lower_ratio ({volume.lower_ratio}) is above upper_ratio ({volume.upper_ratio})")

    sm_raw = raw.get("stage_mapping") or {}
    if not isinstance(sm_raw, dict):
        raise SuiteError(f"{path}: stage_mapping: expected a mapping")
    _check_keys(sm_raw, tuple(StageMappingConfig.__dataclass_fields__), f"{path}: stage_mapping")
    s = StageMappingConfig()
    any_ss = sm_raw.get("any_source_system", list(s.any_source_system))
    if not isinstance(any_ss, list):
        raise SuiteError(f"{path}: stage_mapping.any_source_system: expected a list")
    stage_mapping = StageMappingConfig(
        seed=str(sm_raw.get("seed", s.seed)),
        match_source_system=bool(sm_raw.get("match_source_system", s.match_source_system)),
        any_source_system=tuple(str(x).strip().casefold() for x in any_ss),
    )

    params_raw = raw.get("parameters") or {}
    if not isinstance(params_raw, dict):
        raise SuiteError(f"{path}: parameters: expected a mapping of name: value")
    parameters: dict[str, Any] = {}
    for name, value in params_raw.items():
        where = f"{path}: parameters.{name}"
        if name in BUILTIN_PARAMETERS:
            raise SuiteError(f"{where}: {name!r} is built in (set it with the top-level key instead)")
        parameters[name] = _load_parameter(value, directory, where)

    return QualityConfig(
        path=path,
        date_floor=_as_datetime(raw.get("date_floor", base.date_floor), f"{path}: date_floor"),
        future_tolerance=timedelta(hours=_number(raw.get("future_tolerance_hours", 24), f"{path}: future_tolerance_hours")),
        chunk_rows=_positive_int(raw.get("chunk_rows", base.chunk_rows), f"{path}: chunk_rows"),
        sample_size=_positive_int(raw.get("sample_size", base.sample_size), f"{path}: sample_size"),
        volume=volume,
        stage_mapping=stage_mapping,
        parameters=parameters,
    )


def _load_parameter(value: Any, directory: Path, where: str) -> Any:
    """A literal, or ``{csv: file, column: name}`` meaning the non-empty values of that column."""
    if not isinstance(value, dict):
        return _normalize_literal(value)
    _check_keys(value, ("csv", "column"), where)
    if "csv" not in value or "column" not in value:
        raise SuiteError(f"{where}: a file parameter needs both 'csv' (a path in {directory}) and 'column'")
    csv_path = directory / str(value["csv"])
    if not csv_path.is_file():
        raise SuiteError(f"{where}: file {csv_path} not found")
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        column = str(value["column"])
        if column not in (reader.fieldnames or []):
            raise SuiteError(f"{where}: {csv_path} has no column {column!r}; it has {reader.fieldnames}")
        values = [row[column].strip() for row in reader if (row.get(column) or "").strip()]
    if not values:
        raise SuiteError(f"{where}: {csv_path} column {column!r} holds no values")
    return values


def _normalize_literal(value: Any) -> Any:
    """YAML turns 2000-01-01 into a date; GX compares pandas datetimes, which need datetime."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, list):
        return [_normalize_literal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalize_literal(v) for k, v in value.items()}
    return value


def suite_path(table_name: str, expectations_dir: Path | None = None) -> Path:
    return Path(expectations_dir or DEFAULT_EXPECTATIONS_DIR) / f"{table_name}.yml"


def load_suite(table_name: str, expectations_dir: Path | None = None, config: QualityConfig | None = None) -> Suite:
    """Read and check ``expectations/<table>.yml`` against the canonical schema and the config."""
    if table_name not in TABLES:
        raise SuiteError(f"no canonical table {table_name!r}; known: {', '.join(sorted(TABLES))}")
    config = config or load_config(expectations_dir)
    path = suite_path(table_name, expectations_dir)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: expected a mapping with keys {', '.join(SUITE_KEYS)}")
    _check_keys(raw, SUITE_KEYS, str(path))
    if raw.get("table") != table_name:
        raise SuiteError(f"{path}: table: expected {table_name!r} (the file name), got {raw.get('table')!r}")
    t = TABLES[table_name]

    derived = raw.get("derived_columns") or {}
    if not isinstance(derived, dict):
        raise SuiteError(f"{path}: derived_columns: expected a mapping of name: SQL expression")
    for name, expr in derived.items():
        where = f"{path}: derived_columns.{name}"
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise SuiteError(f"{where}: a derived column name is lower_snake_case")
        if name in t.all_columns:
            raise SuiteError(f"{where}: {name!r} is already a column of raw.{table_name}; pick another name")
        if not isinstance(expr, str) or not expr.strip() or ";" in expr:
            raise SuiteError(f"{where}: expected one SQL expression over the table's columns (no ';')")

    entries = raw.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"{path}: expectations: expected a non-empty list of entries")
    known_columns = set(t.all_columns) | set(derived)
    known_params = set(config.parameters) | set(BUILTIN_PARAMETERS)
    specs: list[ExpectationSpec] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        spec = _parse_entry(entry, i, path, t, known_columns, known_params)
        if spec.name in seen:
            raise SuiteError(f"{spec.where}: name {spec.name!r} is used twice in this file; names must be unique")
        seen.add(spec.name)
        specs.append(spec)
    return Suite(
        table=table_name,
        path=path,
        expectations=tuple(specs),
        derived_columns=dict(derived),
        description=str(raw.get("description") or ""),
    )


def _parse_entry(
    entry: Any, index: int, path: Path, t: CanonicalTable, known_columns: set[str], known_params: set[str]
) -> ExpectationSpec:
    label = entry.get("name") if isinstance(entry, dict) else None
    where = f"{path}: expectations[{index}]" + (f" ({label})" if label else "")
    if not isinstance(entry, dict):
        raise SuiteError(f"{where}: expected a mapping with keys {', '.join(ENTRY_KEYS)}")
    _check_keys(entry, ENTRY_KEYS, where)
    for key in ("name", "expectation", "severity", "why"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise SuiteError(f"{where}: '{key}' is required and must be text")
    name = entry["name"].strip()
    if not _NAME_RE.match(name):
        raise SuiteError(f"{where}: name {name!r} must be lower_snake_case (it is a stable id stored with results)")
    expectation = entry["expectation"].strip()
    if not expectation.startswith("expect_"):
        raise SuiteError(f"{where}: expectation {expectation!r} is not an expectation type (they start with 'expect_')")
    severity = entry["severity"].strip().lower()
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}: severity {entry['severity']!r} must be one of {', '.join(SEVERITIES)}")
    why = entry["why"].strip()
    if "\n" in why:
        raise SuiteError(f"{where}: 'why' is one line")
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise SuiteError(f"{where}: kwargs: expected a mapping of argument: value")

    for key in COLUMN_KWARGS:
        if key in kwargs:
            _check_column(kwargs[key], key, known_columns, t, where)
    for key in COLUMN_LIST_KWARGS:
        if key in kwargs:
            if not isinstance(kwargs[key], list) or not kwargs[key]:
                raise SuiteError(f"{where}: kwargs.{key}: expected a non-empty list of column names")
            for c in kwargs[key]:
                _check_column(c, key, known_columns, t, where)
    _check_parameters(kwargs, known_params, where)

    if expectation in DELIVERY_CHECKS:
        check = DELIVERY_CHECKS[expectation]
        missing = [k for k in check.required_kwargs if k not in kwargs]
        extra = [k for k in kwargs if k not in check.required_kwargs + check.optional_kwargs]
        if missing or extra:
            allowed = ", ".join(check.required_kwargs + check.optional_kwargs) or "none"
            problem = f"missing kwargs.{missing[0]}" if missing else f"unknown kwargs.{extra[0]}"
            raise SuiteError(f"{where}: {problem} for {expectation} (arguments: {allowed})")
        if check.exactly_one_of and sum(k in kwargs for k in check.exactly_one_of) != 1:
            raise SuiteError(f"{where}: {expectation} needs exactly one of kwargs {' or '.join(check.exactly_one_of)}")
        if "entity_type_column" in kwargs:
            _check_column(kwargs["entity_type_column"], "entity_type_column", known_columns, t, where)
    return ExpectationSpec(name=name, expectation=expectation, kwargs=dict(kwargs), severity=severity, why=why, where=where)


def _check_column(value: Any, key: str, known: set[str], t: CanonicalTable, where: str) -> None:
    if not isinstance(value, str) or value not in known:
        raise SuiteError(
            f"{where}: kwargs.{key}: {value!r} is not a column of raw.{t.name} "
            f"(see orchestration/canonical.py, or declare it under derived_columns)"
        )


def _check_parameters(value: Any, known: set[str], where: str) -> None:
    if isinstance(value, str):
        m = _PARAM_RE.match(value.strip())
        if m and m.group(1) not in known:
            raise SuiteError(
                f"{where}: unknown parameter ${{{m.group(1)}}}; define it under 'parameters' in {CONFIG_FILE} "
                f"(known: {', '.join(sorted(known))})"
            )
    elif isinstance(value, dict):
        for v in value.values():
            _check_parameters(v, known, where)
    elif isinstance(value, list):
        for v in value:
            _check_parameters(v, known, where)


def resolve_kwargs(spec: ExpectationSpec, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Substitute ``${name}`` values (whole-string references only) and normalize YAML dates."""

    def sub(value: Any) -> Any:
        if isinstance(value, str):
            m = _PARAM_RE.match(value.strip())
            if m:
                return parameters[m.group(1)]
            return value
        if isinstance(value, dict):
            return {k: sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [sub(v) for v in value]
        return _normalize_literal(value)

    return {k: sub(v) for k, v in spec.kwargs.items()}


def load_all_suites(expectations_dir: Path | None = None) -> dict[str, Suite]:
    """Every canonical table's suite; a table without a suite file is an error (it would go unchecked)."""
    config = load_config(expectations_dir)
    return {name: load_suite(name, expectations_dir, config) for name in TABLES}
