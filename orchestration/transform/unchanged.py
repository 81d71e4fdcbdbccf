"""Keep the dbt models whose inputs did not change since they were last built.

Every model is a table rebuilt from scratch (or an incremental model that finds nothing new), so a
night with no new deliveries used to rebuild all of them: ~120 s of dbt at 1M leads, most of the
build's fixed cost (docs/benchmarks.md). A model's table depends only on the project's code and on
the sources it reads, unless it reads the clock (``as_of()``: ages of open stages, alerts). So a
model, seed or snapshot is *kept* — left out of tonight's ``dbt build`` — when all of:

- it reads no clock, and nothing upstream of it does (a model whose YAML sets
  ``meta: {funnel_reads_clock: false}`` says why its clock read does not change its table);
- the project's code (every model, macro, seed and setting file, and the environment variables
  the project reads) is byte for byte the code it was last built with;
- every source it reads, directly or through other models, holds the data it was built from:
  tables stamped by the ingest (``_load_id``) by their row count and set of load ids, other
  sources by row count and a hash of every row;
- its table or view still exists.

Otherwise it is rebuilt (whatever reads a changed source, directly or not, has changed inputs
too). The fingerprint each node was built from is recorded (``build_state.dbt_node_inputs``) only
for nodes dbt built and whose checks all passed, so a node that failed, warned, or was skipped
because something upstream failed, is rebuilt on the next build.
``FUNNEL_KEEP_UNCHANGED_MODELS=0``, ``--full-refresh`` and backfills rebuild everything.
A test whose models are all kept is not re-run: its result is carried over from the run that
built them (a node is recorded only when every check on it ran and passed). A test between a kept
and a rebuilt model runs (orchestration/assets/transform.py passes ``--indirect-selection cautious``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.sql import quote_ident
from orchestration.warehouse import STATE_SCHEMA, existing_relations

STATE_TABLE = f"{STATE_SCHEMA}.dbt_node_inputs"
CODE_TABLE = f"{STATE_SCHEMA}.dbt_node_code"  # the code each existing table was last built by
KEPT_TYPES = ("model", "seed", "snapshot")
# SQL or Jinja that reads the clock: such a node's table changes with every build.
CLOCK = re.compile(r"current_timestamp|current_date|\bnow\s*\(|\btoday\s*\(|run_started_at|"
                   r"current_utc_timestamp|modules\.datetime|get_current_timestamp", re.I)
COMMENTS = re.compile(r"\{#.*?#\}|--[^\n]*|/\*.*?\*/", re.S)
ENV_VAR = re.compile(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
# env vars dbt reads that are not code: "now" (FUNNEL_AS_OF) changes every night, and only the
# clock readers use it, which are rebuilt every night anyway
NOT_CODE_ENV_VARS = frozenset({"FUNNEL_AS_OF"})
CODE_PARTS = ("models", "macros", "seeds", "snapshots", "dbt_packages", "dbt_project.yml", "packages.yml",
              "package-lock.yml")


def enabled() -> bool:
    """On unless ``FUNNEL_KEEP_UNCHANGED_MODELS`` is 0/false/no/off."""
    return os.environ.get("FUNNEL_KEEP_UNCHANGED_MODELS", "1").strip().lower() not in ("0", "false", "no", "off")


def code_fingerprint(project_dir: Path, dbt_vars: Mapping | None = None) -> str:
    """sha256 over the project's files, the vars of this invocation and the env vars dbt reads."""
    digest = hashlib.sha256()
    env_names: set[str] = set()
    for part in CODE_PARTS:
        root = project_dir / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in files:
            data = path.read_bytes()
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + hashlib.sha256(data).digest())
            if path.suffix in (".sql", ".yml", ".yaml"):
                env_names |= set(ENV_VAR.findall(data.decode("utf-8", "replace"))) - NOT_CODE_ENV_VARS
    for name in sorted(env_names):
        digest.update(f"env {name}\0{os.environ.get(name, '')}\0".encode())
    digest.update(json.dumps(dbt_vars or {}, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _reads_clock(code: str) -> bool:
    return bool(CLOCK.search(COMMENTS.sub("", code)))


def _macro_closure(manifest: Mapping, macro_ids: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(macro_ids)
    while todo:
        macro_id = todo.pop()
        if macro_id in seen or macro_id not in manifest["macros"]:
            continue
        seen.add(macro_id)
        todo.extend(manifest["macros"][macro_id].get("depends_on", {}).get("macros", []))
    return seen


def clock_readers(manifest: Mapping) -> set[str]:
    """Nodes that read the clock themselves or through a macro, and every node downstream."""
    clock_macros = {uid for uid, m in manifest["macros"].items() if _reads_clock(m.get("macro_sql", ""))}
    direct = set()
    for uid, node in manifest["nodes"].items():
        if node.get("config", {}).get("meta", {}).get("funnel_reads_clock") is False:
            continue  # the model's YAML explains why its clock read does not change its table
        macros = _macro_closure(manifest, node.get("depends_on", {}).get("macros", []))
        if _reads_clock(node.get("raw_code", "")) or macros & clock_macros:
            direct.add(uid)
    return _downstream(manifest, direct)


def _downstream(manifest: Mapping, roots: set[str]) -> set[str]:
    children = manifest.get("child_map", {})
    out, todo = set(), list(roots)
    while todo:
        uid = todo.pop()
        if uid in out:
            continue
        out.add(uid)
        todo.extend(children.get(uid, []))
    return out


def topological_order(manifest: Mapping) -> list[str]:
    """Every node after the nodes it depends on."""
    order: list[str] = []
    state: dict[str, bool] = {}  # False: being visited, True: placed
    for root in sorted(manifest["nodes"]):
        stack = [(root, False)]
        while stack:
            uid, expanded = stack.pop()
            if expanded:
                state[uid] = True
                order.append(uid)
                continue
            if uid in state or uid not in manifest["nodes"]:
                continue
            state[uid] = False
            stack.append((uid, True))
            stack.extend((p, False) for p in manifest["nodes"][uid].get("depends_on", {}).get("nodes", [])
                         if p not in state)
    return order


def ancestors(manifest: Mapping) -> dict[str, frozenset[str]]:
    """Every node each node depends on, directly or through others (sources left out)."""
    out: dict[str, frozenset[str]] = {}
    for uid in topological_order(manifest):
        parents = [p for p in manifest["nodes"][uid].get("depends_on", {}).get("nodes", []) if p in manifest["nodes"]]
        out[uid] = frozenset(parents).union(*(out.get(p, frozenset()) for p in parents))
    return out


def upstream_sources(manifest: Mapping, unique_id: str, cache: dict[str, frozenset[str]]) -> frozenset[str]:
    """Every dbt source a node reads, directly or through other nodes."""
    if unique_id in cache:
        return cache[unique_id]
    cache[unique_id] = frozenset()  # a cycle (none in a valid project) cannot recurse forever
    parents = manifest["nodes"].get(unique_id, {}).get("depends_on", {}).get("nodes", [])
    found: set[str] = set()
    for parent in parents:
        if parent.startswith("source."):
            found.add(parent)
        else:
            found |= upstream_sources(manifest, parent, cache)
    cache[unique_id] = frozenset(found)
    return cache[unique_id]


ROW_ALIAS = "__funnel_whole_row"


def source_fingerprints(con: duckdb.DuckDBPyConnection, manifest: Mapping,
                        source_ids: Iterable[str]) -> dict[str, str]:
    """What each source holds, cheaply: row count plus the set of load ids, or a hash of the rows."""
    existing = existing_relations(con)
    out = {}
    for uid in sorted(set(source_ids)):
        src = manifest["sources"].get(uid)
        if src is None:
            out[uid] = "unknown"
            continue
        schema, name = src["schema"], src.get("identifier") or src["name"]
        if (schema, name) not in existing:
            out[uid] = "missing"
            continue
        rel = f"{quote_ident(schema)}.{quote_ident(name)}"
        has_load_id = con.execute(
            "select count(*) from duckdb_columns() where schema_name = ? and table_name = ? and column_name = '_load_id'",
            [schema, name]).fetchone()[0] > 0
        if has_load_id:
            rows, loads = con.execute(
                f"select count(*), md5(coalesce(array_to_string(list_sort(list(distinct cast(_load_id as varchar))), ','), '')) "
                f"from {rel}").fetchone()
        else:
            # the alias names the whole row; a column of the same name would shadow it (hence not `t`)
            rows, loads = con.execute(f"select count(*), cast(coalesce(sum(hash({ROW_ALIAS})), 0) as varchar) "
                                      f"from {rel} as {ROW_ALIAS}").fetchone()
        out[uid] = f"{rows}:{loads}"
    return out


def _node_fingerprint(code: str, sources: frozenset[str], fingerprints: Mapping[str, str]) -> str:
    payload = json.dumps([code, sorted((s, fingerprints[s]) for s in sources)])
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class KeepPlan:
    """Tonight's fingerprint of every node, and the nodes that can be left out of the build."""

    fingerprints: dict[str, str]
    kept: dict[str, str]  # unique_id -> run id of the build that made its current table
    code: str = ""  # the project's code fingerprint, no vars (record_code; set by the caller)

    def exclude_args(self, manifest: Mapping) -> list[str]:
        """``--exclude`` naming the kept nodes by their fully qualified names (dbt's default method)."""
        if not self.kept:
            return []
        return ["--exclude", " ".join(sorted(".".join(manifest["nodes"][uid]["fqn"]) for uid in self.kept))]


def ensure_state_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute(f"create table if not exists {STATE_TABLE} (unique_id varchar primary key, fingerprint varchar not null, "
                "run_id varchar, built_at timestamp)")
    con.execute(f"create table if not exists {CODE_TABLE} (unique_id varchar primary key, code varchar not null, "
                "run_id varchar, built_at timestamp)")


def incremental_models_built_by_other_code(con: duckdb.DuckDBPyConnection, manifest: Mapping, code: str) -> list[str]:
    """Incremental models whose table exists but was not last built by this code (or not recorded).

    An incremental model only adds tonight's changes to what older code stored, so after a change
    of the project's code, seeds or settings its table must be rebuilt from scratch (dbt's
    ``--full-refresh``): a changed cleaning rule, stage mapping or reporting timezone would
    otherwise apply to new rows only, and a partition-incremental model (macros/partitions.sql)
    would recompute every partition the slow way.
    """
    ensure_state_table(con)
    recorded = dict(con.execute(f"select unique_id, code from {CODE_TABLE}").fetchall())
    existing = existing_relations(con)
    out = []
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") != "model" or node.get("config", {}).get("materialized") != "incremental":
            continue
        if (node["schema"], node.get("alias") or node["name"]) in existing and recorded.get(uid) != code:
            out.append(uid)
    return sorted(out)


def plan_kept(con: duckdb.DuckDBPyConnection, manifest: Mapping, candidates: Iterable[str], code: str,
              allow_keep: bool = True) -> KeepPlan:
    """Fingerprint every candidate node; keep those whose fingerprint matches the last build's."""
    nodes = [uid for uid in candidates if manifest["nodes"].get(uid, {}).get("resource_type") in KEPT_TYPES]
    cache: dict[str, frozenset[str]] = {}
    sources = {uid: upstream_sources(manifest, uid, cache) for uid in nodes}
    source_fps = source_fingerprints(con, manifest, set().union(*sources.values()) if sources else ())
    fingerprints = {uid: _node_fingerprint(code, sources[uid], source_fps) for uid in nodes}
    if not allow_keep:
        return KeepPlan(fingerprints, {})
    ensure_state_table(con)
    stored = {uid: (fp, run_id) for uid, fp, run_id in con.execute(
        f"select unique_id, fingerprint, run_id from {STATE_TABLE}").fetchall()}
    clocked = clock_readers(manifest)
    existing = existing_relations(con)
    kept = {}
    for uid in nodes:
        node = manifest["nodes"][uid]
        relation = (node["schema"], node.get("alias") or node["name"])
        previous = stored.get(uid)
        if uid in clocked or previous is None or previous[0] != fingerprints[uid] or relation not in existing:
            continue
        kept[uid] = previous[1]
    return KeepPlan(fingerprints, kept)


def record_built(con: duckdb.DuckDBPyConnection, plan: KeepPlan, built: Iterable[str], run_id: str) -> int:
    """Remember what each node dbt built tonight was built from; returns how many were recorded."""
    rows = [(uid, plan.fingerprints[uid], run_id) for uid in set(built) if uid in plan.fingerprints]
    if not rows:
        return 0
    ensure_state_table(con)
    con.executemany(f"insert or replace into {STATE_TABLE} values (?, ?, ?, current_timestamp)", rows)
    return len(rows)


def record_code(con: duckdb.DuckDBPyConnection, built: Iterable[str], code: str, run_id: str) -> None:
    """Remember which code built each table dbt built tonight, tests passed or not (a table built
    with a failing test still holds what this code computed; incremental_models_built_by_other_code)."""
    rows = [(uid, code, run_id) for uid in set(built)]
    if rows:
        ensure_state_table(con)
        con.executemany(f"insert or replace into {CODE_TABLE} values (?, ?, ?, current_timestamp)", rows)
