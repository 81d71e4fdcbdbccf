"""Checks that look at a whole delivery at once, computed in DuckDB.

Great Expectations validates each pandas chunk on its own, which is right for row-by-row rules and
wrong for three things the suites need:

- uniqueness across the whole delivery (a duplicate can sit in two different chunks),
- values that must appear in a dbt seed (read at run time, matched case-insensitively on trimmed
  values, unknown values listed by name),
- the delivery's row count against the history of earlier deliveries in ``raw._load_manifest``.

Each check returns the same ``ExpectationResult`` a GX expectation does. They are named like GX
expectations (``expect_..._within_delivery``) so a suite file reads the same either way.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from orchestration.quality.masking import format_sample
from orchestration.quality.results import ExpectationResult, short_file
from orchestration.sql import quote_ident
from orchestration.warehouse import MANIFEST_TABLE

if TYPE_CHECKING:
    from orchestration.quality.delivery import Delivery
    from orchestration.quality.suites import ExpectationSpec

SEED_COLUMNS = ("source_system", "entity_type", "raw_value", "stage_key")


@dataclass(frozen=True)
class DeliveryCheck:
    run: Callable[["Delivery", "ExpectationSpec", Mapping[str, Any]], ExpectationResult]
    required_kwargs: tuple[str, ...]
    optional_kwargs: tuple[str, ...] = ()
    exactly_one_of: tuple[str, ...] = ()  # of the optional kwargs, exactly one must be given


def _result(delivery: Delivery, spec: ExpectationSpec, **fields: Any) -> ExpectationResult:
    fields.setdefault("source_files", delivery.source_files)
    return ExpectationResult(
        table=delivery.table.name,
        name=spec.name,
        expectation=spec.expectation,
        severity=spec.severity,
        why=spec.why,
        columns=spec.columns,
        **fields,
    )


# ---------------------------------------------------------------------------------------------
# uniqueness


def _unique_within_delivery(delivery: Delivery, spec: ExpectationSpec, kwargs: Mapping[str, Any]) -> ExpectationResult:
    """Same counting as GX: every row whose key occurs more than once is unexpected.

    Single column: null keys are ignored. Several columns: a row is ignored only when every key
    column is null (GX's ``ignore_row_if='all_values_are_missing'``); other nulls compare equal.
    Files of one folder are one delivery (an export split into parts); files in different folders
    (``2026-07-01/Lead.csv``, ``2026-08-01/Lead.csv``) are successive snapshots, which repeat every
    id by design — staging keeps the newest — so a key is only compared within its folder.
    Otherwise a rebuild from a landing folder that keeps its nightly snapshots could never pass.
    """
    columns = [kwargs["column"]] if "column" in kwargs else list(kwargs["column_list"])
    cols_sql = ", ".join(quote_ident(c) for c in columns)
    not_all_null = " or ".join(f"{quote_ident(c)} is not null" for c in columns)
    n = delivery.config.sample_size
    folder = "regexp_replace(_source_file, '/?[^/]*$', '')"
    keyed = f"""
        select {cols_sql}, {folder} as _delivery_folder, _source_file, _source_row
        from {delivery.relation}
        where {delivery.where} and ({not_all_null})"""
    # Two steps: counting duplicate keys needs no file lists; only the duplicated keys' rows are
    # gathered for the samples (one pass with lists over every key took 43 s and 2 GiB at 10M rows,
    # the two steps 4.6 s and 1 GiB: bench/quality).
    nonmissing, unexpected, groups = delivery.con.execute(f"""
        with counts as (
            select count(*) as n from ({keyed}) as d group by {cols_sql}, _delivery_folder
        )
        select coalesce(sum(n), 0), coalesce(sum(n) filter (where n > 1), 0), count(*) filter (where n > 1)
        from counts""", list(delivery.load_ids)).fetchone()
    samples = None
    if unexpected:
        same_key = " and ".join(f"d.{quote_ident(c)} is not distinct from k.{quote_ident(c)}" for c in columns)
        (samples,) = delivery.con.execute(f"""
            with d as ({keyed}),
            k as (
                select {cols_sql}, _delivery_folder, count(*) as n from d group by all having count(*) > 1
            ),
            dup as (
                select {', '.join(f'k.{quote_ident(c)}' for c in columns)}, k._delivery_folder, k.n,
                       list(d._source_file order by d._source_file, d._source_row) as files,
                       list(d._source_row order by d._source_file, d._source_row) as lines
                from d inner join k on {same_key} and d._delivery_folder = k._delivery_folder
                group by all
            )
            select list(struct_pack(key := [{', '.join(f'cast({quote_ident(c)} as varchar)' for c in columns)}],
                                    n := n, files := files[1:2], lines := lines[1:2])
                        order by n desc, files[1], lines[1])[1:{n}]
            from dup""", list(delivery.load_ids)).fetchone()
    samples = samples or []
    sample_values: list[str] = []
    locations: list[str] = []
    files: set[str] = set()
    for s in samples:
        key = tuple(s["key"]) if len(columns) > 1 else s["key"][0]
        sample_values.append(f"{format_sample(key, columns, delivery.pii)} ×{s['n']}")
        locs = [f"{short_file(f)}:{line}" for f, line in zip(s["files"], s["lines"])]
        locations.append(" and ".join(locs))
        files.update(f for f in s["files"] if f)
    nonmissing, unexpected = int(nonmissing), int(unexpected)
    return _result(
        delivery,
        spec,
        success=unexpected == 0,
        observed_value={"duplicate_keys": int(groups), "rows_with_duplicate_keys": unexpected},
        element_count=delivery.row_count,
        unexpected_count=unexpected,
        unexpected_percent=(100.0 * unexpected / nonmissing) if nonmissing else 0.0,
        sample_values=tuple(sample_values),
        sample_locations=tuple(locations),
        source_files=tuple(sorted(files)) or delivery.source_files,
    )


# ---------------------------------------------------------------------------------------------
# values known to the stage-mapping seed


def _norm(value: Any) -> str:
    return "" if value is None else str(value).strip().casefold()


def read_stage_mapping(path) -> set[tuple[str, str, str]]:
    """(source_system, entity_type, raw_value) triples, normalized; header names case-insensitive."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [_norm(h) for h in next(reader, [])]
        missing = [c for c in SEED_COLUMNS[:3] if c not in header]
        if missing:
            raise ValueError(f"{path}: seed has no column {missing[0]!r} (expected columns: {', '.join(SEED_COLUMNS)})")
        idx = [header.index(c) for c in SEED_COLUMNS[:3]]
        known = set()
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            row = row + [""] * (len(header) - len(row))
            known.add(tuple(_norm(row[i]) for i in idx))
    return known


def _in_stage_mapping(delivery: Delivery, spec: ExpectationSpec, kwargs: Mapping[str, Any]) -> ExpectationResult:
    cfg = delivery.config.stage_mapping
    seed_path = delivery.seeds_dir / cfg.seed
    column = kwargs["column"]
    if not seed_path.is_file():
        return _result(
            delivery,
            spec,
            success=False,
            observed_value={"seed": str(seed_path), "error": "seed file not found"},
            element_count=delivery.row_count,
            error=f"stage mapping seed {seed_path} not found, so {column} values cannot be checked; "
            f"add the seed (columns {', '.join(SEED_COLUMNS)})",
        )
    try:
        known = read_stage_mapping(seed_path)
    except (ValueError, OSError, csv.Error) as e:
        return _result(delivery, spec, success=False, element_count=delivery.row_count,
                       observed_value={"seed": str(seed_path), "error": str(e)}, error=str(e))

    entity_sql = (
        "cast(? as varchar)" if "entity_type" in kwargs else f"cast({quote_ident(kwargs['entity_type_column'])} as varchar)"
    )
    params: list[Any] = [kwargs["entity_type"]] if "entity_type" in kwargs else []
    col = quote_ident(column)
    rows = delivery.con.execute(
        f"""
        select _source_system, {entity_sql} as entity, cast({col} as varchar) as value, count(*) as n,
               min(struct_pack(f := _source_file, r := _source_row)) as first
        from {delivery.relation}
        where {delivery.where} and {col} is not null and trim(cast({col} as varchar)) <> ''
        group by all
        """,
        params + list(delivery.load_ids),
    ).fetchall()
    is_known = _matcher(known, cfg.match_source_system, set(cfg.any_source_system))
    nonmissing = 0
    unknown: dict[tuple[str, str, str], list] = {}
    for source_system, entity, value, n, first in rows:
        nonmissing += n
        if not is_known(_norm(source_system), _norm(entity), _norm(value)):
            agg = unknown.setdefault((source_system or "", entity or "", value.strip()), [0, first["f"], first["r"]])
            agg[0] += n
    ordered = sorted(unknown.items(), key=lambda kv: (-kv[1][0], kv[0]))
    unexpected = sum(a[0] for _, a in ordered)
    n = delivery.config.sample_size
    return _result(
        delivery,
        spec,
        success=unexpected == 0,
        observed_value={
            "seed": str(seed_path),
            "unknown_values": [
                {"source_system": ss, "entity_type": et, "value": v, "rows": a[0]} for (ss, et, v), a in ordered[:50]
            ],
        },
        element_count=delivery.row_count,
        unexpected_count=unexpected,
        unexpected_percent=(100.0 * unexpected / nonmissing) if nonmissing else 0.0,
        sample_values=tuple(f"{v!r} ({et}, {ss or 'no source system'}) ×{a[0]}" for (ss, et, v), a in ordered[:n]),
        sample_locations=tuple(f"{short_file(a[1])}:{a[2]}" for _, a in ordered[:n]),
        source_files=tuple(sorted({a[1] for _, a in ordered if a[1]})) or delivery.source_files,
    )


def _matcher(known: set[tuple[str, str, str]], match_source_system: bool, wildcard: set[str]):
    """A value is known if the seed maps it for the row's source system, or for any source system."""
    if not match_source_system:
        pairs = {(e, v) for _, e, v in known}
        return lambda s, e, v: (e, v) in pairs
    return lambda s, e, v: (s, e, v) in known or any((w, e, v) in known for w in wildcard)


# ---------------------------------------------------------------------------------------------
# volume against history


def _row_count_within_history_band(delivery: Delivery, spec: ExpectationSpec, kwargs: Mapping[str, Any]) -> ExpectationResult:
    cfg = delivery.config.volume
    history_n = int(kwargs.get("history_deliveries", cfg.history_deliveries))
    min_history = int(kwargs.get("min_history", cfg.min_history))
    lower = float(kwargs.get("lower_ratio", cfg.lower_ratio))
    upper = float(kwargs.get("upper_ratio", cfg.upper_ratio))
    grain_sql = "cast(loaded_at as date)" if cfg.grain == "day" else "load_id"
    ids = list(delivery.load_ids)
    placeholders = ", ".join("?" for _ in ids)
    statuses = list(cfg.statuses)
    status_ph = ", ".join("?" for _ in statuses) or "null"
    table = delivery.table.name
    # A file delivered again (same source_file) within one delivery replaces its earlier version:
    # count only its latest load, as the warehouse does.
    history = delivery.con.execute(
        f"""
        with cur as (select min(loaded_at) as t0 from {MANIFEST_TABLE} where load_id in ({placeholders})),
        m as (
            select cast({grain_sql} as varchar) as delivery, source_file, rows_loaded, loaded_at
            from {MANIFEST_TABLE}
            where target_table in (?, ?)
              and lower(trim(status)) in ({status_ph})
              and load_id not in ({placeholders})
              and loaded_at < coalesce((select t0 from cur), ?)
        ),
        latest as (
            select delivery, source_file, arg_max(rows_loaded, loaded_at) as rows_loaded, max(loaded_at) as last_loaded_at
            from m group by delivery, source_file
        )
        select delivery, sum(rows_loaded) as rows_loaded, max(last_loaded_at) as last_loaded_at
        from latest
        group by delivery
        order by last_loaded_at desc
        limit ?
        """,
        ids + [table, f"raw.{table}"] + statuses + ids + [delivery.now, history_n],
    ).fetchall()
    counts = [int(r[1] or 0) for r in history]
    rows = delivery.row_count
    observed: dict[str, Any] = {
        "rows": rows,
        "history": [{"delivery": r[0], "rows": int(r[1] or 0)} for r in history],
        "grain": cfg.grain,
    }
    if len(counts) < min_history:
        observed["note"] = (
            f"only {len(counts)} earlier deliveries with status in ({', '.join(statuses)}) "
            f"(fewer than min_history {min_history}): not judged"
        )
        return _result(delivery, spec, success=True, observed_value=observed, element_count=rows)
    median = statistics.median(counts)
    lo, hi = median * lower, median * upper
    observed.update({"median": median, "band": [lo, hi]})
    ok = lo <= rows <= hi
    return _result(
        delivery,
        spec,
        success=ok,
        observed_value=observed if ok else {
            **observed,
            "note": f"{rows} rows is outside [{lo:g}, {hi:g}] (= {lower:g}..{upper:g} x median {median:g} "
            f"of the last {len(counts)} deliveries)",
        },
        element_count=rows,
    )


DELIVERY_CHECKS: dict[str, DeliveryCheck] = {
    "expect_column_values_to_be_unique_within_delivery": DeliveryCheck(_unique_within_delivery, ("column",)),
    "expect_compound_columns_to_be_unique_within_delivery": DeliveryCheck(_unique_within_delivery, ("column_list",)),
    "expect_column_values_to_be_in_stage_mapping": DeliveryCheck(
        _in_stage_mapping, ("column",), ("entity_type", "entity_type_column"), ("entity_type", "entity_type_column")
    ),
    "expect_delivery_row_count_to_be_within_history_band": DeliveryCheck(
        _row_count_within_history_band, (), ("history_deliveries", "min_history", "lower_ratio", "upper_ratio")
    ),
}


def run_delivery_check(delivery: Delivery, spec: ExpectationSpec, kwargs: Mapping[str, Any]) -> ExpectationResult:
    return DELIVERY_CHECKS[spec.expectation].run(delivery, spec, kwargs)
