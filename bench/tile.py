"""Make size L from size M in minutes: k disjoint copies of a generated landing folder.

    .venv/bin/python bench/tile.py BASE_LANDING OUT_LANDING --copies 10

Why: the generator draws every lead's story in Python (~0.6 ms a lead, 618 s for M), so L (10M
leads) would take ~100 minutes on this machine. The benchmark needs L's volume in the vendors'
formats, not ten million new stories, so L is M written ten times over with every record made
distinct, streamed by DuckDB (no size is held in memory).

Copy c (0-based; copy 0 is the base file's rows unchanged) differs from the base only where records
would otherwise collide across copies:
- Salesforce record ids of the tiled objects (lead, opportunity, account, contact, campaign member,
  opportunity history, task) get digit c in their 6th character, in every `...Id` column, so
  lookups between files stay consistent. That character is always the '0' after the pod, and a
  digit has no upper-case bit, so the 18-character case-safe suffix stays valid. Users and campaigns
  are shared by all copies (one org, one sales team), so User.csv and Campaign.csv are not tiled.
- Emails (Lead.Email, Tally 'Work email') get the local-part prefix `t<c>.` after any leading
  spaces, so dedup keys (email + company) and form-to-lead matches stay within a copy.
- Phones (Lead Phone/MobilePhone, Tally 'Phone number') get their last digit shifted by c (mod 10).
  Two base numbers differing only in that digit can collide across copies; that only touches the
  planted phone-only form matches (attribution), never the lead counts the benchmark compares.
- Tally submission and respondent ids get the suffix c.
Ad-platform reports are copied once (spend is per campaign and day, shared by the copies), and the
planted truth is not tiled. Every copy of the cohort funnel is the base's, so the L funnel is
exactly k times M's: tests/bench/test_tile.py checks that with the benchmark's floor query.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import duckdb

TILED_SF = ("Lead", "Opportunity", "OpportunityHistory", "Account", "CampaignMember", "Task")
SHARED_SF = ("User", "Campaign")
TILED_ID_PREFIXES = ("00Q", "006", "001", "003", "00v", "008", "00T")
EMAIL_COLUMNS = {"Email", "Work email"}
PHONE_COLUMNS = {"Phone", "MobilePhone", "Phone number"}
TALLY_ID_COLUMNS = {"Submission ID", "Respondent ID"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def column_expression(column: str, copy: int, *, salesforce: bool) -> str:
    """The SQL that writes `column` of copy `copy` (copy >= 1)."""
    col = _q(column)
    if salesforce and (column == "Id" or column.endswith("Id")):
        prefixes = "|".join(TILED_ID_PREFIXES)
        expr = f"regexp_replace({col}, '^({prefixes})5g0', '\\15g{copy}')"
    elif column in EMAIL_COLUMNS:
        expr = f"regexp_replace({col}, '^(\\s*)(\\S)', '\\1t{copy}.\\2')"
    elif column in PHONE_COLUMNS:
        expr = (f"case when regexp_matches({col}, '[0-9]$') then left({col}, -1) || "
                f"cast((cast(right({col}, 1) as integer) + {copy}) % 10 as varchar) else {col} end")
    elif column in TALLY_ID_COLUMNS:
        expr = f"case when {col} <> '' then {col} || '{copy}' else {col} end"
    else:
        expr = col
    # Salesforce quotes every field and writes "" for an empty one: keep that (NULL would be bare).
    return f"coalesce({expr}, '') as {col}" if salesforce else f"{expr} as {col}"


def tile_file(con: duckdb.DuckDBPyConnection, src: Path, dst: Path, copies: int, *, salesforce: bool) -> int:
    """Write src once unchanged, then copies 1..k-1 transformed, into dst; return data rows per copy."""
    read = (f"read_csv({_lit(src.as_posix())}, all_varchar = true, header = true, quote = '\"', "
            f"escape = '\"', sample_size = -1)")
    columns = [r[0] for r in con.execute(f"describe select * from {read}").fetchall()]
    options = "header false" + (", force_quote *" if salesforce else "")
    shutil.copyfile(src, dst)
    part = dst.with_name(dst.name + ".part")
    for copy in range(1, copies):
        select = ", ".join(column_expression(c, copy, salesforce=salesforce) for c in columns)
        con.execute(f"copy (select {select} from {read}) to {_lit(part.as_posix())} ({options})")
        with open(dst, "ab") as out, open(part, "rb") as chunk:
            shutil.copyfileobj(chunk, out, 16 << 20)
        part.unlink()
    return con.execute(f"select count(*) from {read}").fetchone()[0]


def tile(base: Path, out: Path, copies: int, *, memory_limit: str = "1GB") -> dict[str, int]:
    """Tile every export of a generated landing folder; return rows per copy by relative path."""
    if copies < 1 or copies > 10:
        raise ValueError("copies must be between 1 and 10 (one digit marks the copy)")
    con = duckdb.connect(config={"memory_limit": memory_limit, "preserve_insertion_order": True})
    rows: dict[str, int] = {}
    for sub in ("salesforce", "forms", "ads"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for obj in TILED_SF:
        rel = f"salesforce/{obj}.csv"
        rows[rel] = tile_file(con, base / rel, out / rel, copies, salesforce=True)
    for obj in SHARED_SF:
        shutil.copyfile(base / f"salesforce/{obj}.csv", out / f"salesforce/{obj}.csv")
    for form in sorted((base / "forms").glob("*.csv")):
        rows[f"forms/{form.name}"] = tile_file(con, form, out / "forms" / form.name, copies, salesforce=False)
    for report in sorted((base / "ads").glob("*.csv")):
        shutil.copyfile(report, out / "ads" / report.name)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--copies", type=int, default=10)
    args = ap.parse_args()
    started = time.monotonic()
    rows = tile(args.base, args.out, args.copies)
    for rel, n in rows.items():
        print(f"{rel}: {n:,} rows × {args.copies}")
    print(f"tiled in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
