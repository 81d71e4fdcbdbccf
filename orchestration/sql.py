"""SQL text helpers. Every identifier or literal that comes from a file goes through here."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB/Postgres: wrap in double quotes, double any inside.

    Column names read from vendor files can hold anything (quotes, semicolons, newlines); they
    must never be spliced into SQL unquoted.
    """
    if "\x00" in name:
        raise ValueError("identifier contains a NUL byte")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal (single quotes doubled)."""
    if "\x00" in value:
        raise ValueError("literal contains a NUL byte")
    return "'" + value.replace("'", "''") + "'"
