"""Scan every BI-facing output of a build for personal data taken from its input files.

The needles come from the delivered files themselves (not from the warehouse): every email
address found in any cell, every value of a phone column, and the full names of leads and
form respondents — each in the forms a value could take after cleaning: an email trimmed and
lower-cased, a phone as digits only (which also covers E.164 ``+8613800138000`` and
``+1 415-555-0100`` spellings). The haystacks are what people outside the pipeline read:
every text column of every table in ``<out>/funnel.duckdb``, every Parquet file under
``<out>/parquet`` and every HTML file under ``<out>/report``.

Values are matched as whole tokens (an email, a run of phone characters bounded by
non-alphanumerics), so a hex digest whose digits happen to spell a phone number is not a hit.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.sql import quote_ident

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_TOKEN = re.compile(r"(?<![0-9A-Za-z])\+?[0-9][0-9 ().\-]{5,}[0-9](?![0-9A-Za-z])")
PHONE_HEADER = re.compile(r"phone|mobile|手机|电话|tel", re.I)
FULL_NAME_HEADER = re.compile(r"^(full name|your name|nombre completo|nom complet|姓名)$", re.I)
TEXT_TYPES = ("VARCHAR", "JSON")
WORD = re.compile(r"[^\W\d_]+")
CJK = re.compile(r"[\u4e00-\u9fff]")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass
class Needles:
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # digits only, at least 7
    names: set[str] = field(default_factory=set)  # "first last", lower-cased
    cjk_names: set[str] = field(default_factory=set)  # 张伟: Chinese names are written family name first, unspaced

    def __len__(self) -> int:
        return len(self.emails) + len(self.phones) + len(self.names)


def needles_from_landing(landing: Path, exclude_names: set[str] = frozenset()) -> Needles:
    """Emails, phones and person names in every CSV under ``landing`` (hidden folders skipped)."""
    found = Needles()
    for path in sorted(landing.rglob("*.csv")):
        if any(part.startswith((".", "_")) for part in path.relative_to(landing).parts):
            continue
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            rows = list(csv.reader(f))
        header_at = next((i for i, r in enumerate(rows[:40]) if len(r) > 2), 0)
        header = [h.strip() for h in rows[header_at]] if rows else []
        lower = [h.lower() for h in header]
        phone_cols = [i for i, h in enumerate(header) if PHONE_HEADER.search(h)]
        first_last = (lower.index("firstname"), lower.index("lastname")) if {"firstname", "lastname"} <= set(lower) else None
        full = [i for i, h in enumerate(header) if FULL_NAME_HEADER.match(h)]
        is_users = "username" in lower  # sales reps: their names are not customer data
        for row in rows[header_at + 1:]:
            for cell in row:
                found.emails.update(m.lower() for m in EMAIL.findall(cell))
            for i in phone_cols:
                if i < len(row) and len(digits(row[i])) >= 7:
                    found.phones.add(digits(row[i]))
            if is_users:
                continue
            names = []
            if first_last and max(first_last) < len(row):
                names.append(f"{row[first_last[0]].strip()} {row[first_last[1]].strip()}")
            names += [row[i].strip() for i in full if i < len(row)]
            for n in names:
                parts = n.split()
                if len(parts) >= 2 and n.lower() not in exclude_names:
                    found.names.add(" ".join(parts).lower())
                    if CJK.search(n):
                        found.cjk_names.update({parts[-1] + parts[0], "".join(parts)})
    return found


@dataclass(frozen=True)
class Hit:
    where: str  # file / table.column
    kind: str  # email | phone | name
    value: str


def _hits_in_text(text: str, needles: Needles, where: str, limit: int) -> list[Hit]:
    hits = []
    for m in EMAIL.findall(text):
        if m.lower() in needles.emails:
            hits.append(Hit(where, "email", m))
    for m in PHONE_TOKEN.findall(text):
        if len(digits(m)) >= 7 and digits(m) in needles.phones:
            hits.append(Hit(where, "phone", m))
    if needles.names:
        words = WORD.findall(text.lower())
        hits += [Hit(where, "name", f"{a} {b}") for a, b in zip(words, words[1:]) if f"{a} {b}" in needles.names]
        if CJK.search(text):
            hits += [Hit(where, "name", n) for n in needles.cjk_names if n in text]
    return hits[:limit]


def _scan_relation(con: duckdb.DuckDBPyConnection, relation: str, label: str, needles: Needles, limit: int) -> list[Hit]:
    cols = [(name, typ) for name, typ, *_ in con.execute(f"describe select * from {relation}").fetchall()]
    text_cols = [n for n, t in cols if t in TEXT_TYPES or t.startswith("VARCHAR") or "STRUCT" in t or t.endswith("[]")]
    hits: list[Hit] = []
    for col in text_cols:
        expr = quote_ident(col) if dict(cols)[col] in TEXT_TYPES else f"to_json({quote_ident(col)})::varchar"
        for (value,) in con.execute(f"select distinct {expr} from {relation} where {quote_ident(col)} is not null").fetchall():
            hits += _hits_in_text(str(value), needles, f"{label}.{col}", limit)
            if len(hits) >= limit:
                return hits
    return hits


def scan_duckdb(path: Path, needles: Needles, limit: int = 20) -> list[Hit]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        hits: list[Hit] = []
        for schema, name in con.execute("select table_schema, table_name from information_schema.tables").fetchall():
            hits += _scan_relation(con, f"{quote_ident(schema)}.{quote_ident(name)}", f"{schema}.{name}", needles, limit)
        return hits
    finally:
        con.close()


def scan_parquet(folder: Path, needles: Needles, limit: int = 20) -> list[Hit]:
    con = duckdb.connect()
    hits: list[Hit] = []
    for path in sorted(folder.rglob("*.parquet")):
        rel = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
        hits += _scan_relation(con, rel, str(path.relative_to(folder)), needles, limit)
    con.close()
    return hits


def scan_text_files(folder: Path, needles: Needles, pattern: str = "*.html", limit: int = 20) -> list[Hit]:
    hits: list[Hit] = []
    for path in sorted(folder.rglob(pattern)):
        hits += _hits_in_text(path.read_text(encoding="utf-8", errors="replace"), needles, path.name, limit)
    return hits


def scan_outputs(out: Path, needles: Needles) -> dict[str, list[Hit]]:
    """Hits per output: ``funnel.duckdb``, ``parquet/`` and ``report/`` (the latter two if present)."""
    found = {"funnel.duckdb": scan_duckdb(out / "funnel.duckdb", needles)}
    if (out / "parquet").exists():
        found["parquet"] = scan_parquet((out / "parquet").resolve(), needles)
    if (out / "report").exists():
        found["report"] = scan_text_files(out / "report", needles)
    return found
