"""XLSX exports, read with openpyxl (DuckDB's excel extension downloads at run time; we can't)."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from pathlib import Path

from orchestration.ingest.errors import FileRejected


def xlsx_to_csv(path: Path, relpath: str, workdir: Path) -> Path:
    """Write the first non-empty worksheet to a UTF-8 CSV, streaming rows (read-only mode)."""
    from openpyxl import load_workbook  # heavy import, only when an XLSX arrives

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected(relpath, f"looks like an XLSX/ZIP file but cannot be opened as a workbook: {exc}",
                           hint="export the data as CSV or XLSX from the vendor, not another archive") from None
    dest = workdir / (path.stem + ".xlsx.csv")
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            with open(dest, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                n = 0
                for row in rows:
                    writer.writerow(["" if v is None else _cell(v) for v in row])
                    n += 1
            if n:
                return dest
    finally:
        wb.close()
    raise FileRejected(relpath, "the workbook has no rows in any worksheet")


def _cell(v) -> str:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
