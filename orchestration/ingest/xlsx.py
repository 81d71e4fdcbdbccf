"""XLSX exports, read with openpyxl (DuckDB's excel extension downloads at run time; we can't).

The workbook's first non-empty sheet becomes a UTF-8 CSV that the loader reads like any other
delivery. Rows are padded to the sheet's width so that a row whose trailing cells are empty is
not mistaken for a malformed line. Recognising a workbook needs only its first rows, so
``xlsx_head`` streams those without converting the whole file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from orchestration.ingest.errors import FileRejected


def _open(path: Path, relpath: str):
    from openpyxl import load_workbook  # heavy import, only when an XLSX arrives

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected(relpath, f"looks like an XLSX/ZIP file but cannot be opened as a workbook: {exc}",
                           hint="export the data as CSV or XLSX from the vendor, not another archive") from None


def _width(ws) -> int:
    """The sheet's width from its dimension record, or by one streaming pass when it has none."""
    known = ws.max_column
    if known and known > 1:
        return int(known)
    return max((len(r) for r in ws.iter_rows(values_only=True)), default=0)


def _rows(ws, width: int):
    for row in ws.iter_rows(values_only=True):
        cells = ["" if v is None else _cell(v) for v in row]
        yield cells + [""] * (width - len(cells))


def _first_sheet(wb):
    """The first worksheet holding at least one row, and its width."""
    for ws in wb.worksheets:
        width = _width(ws)
        if width and next(ws.iter_rows(max_row=1, values_only=True), None) is not None:
            return ws, width
    return None, 0


def xlsx_head(path: Path, relpath: str, max_lines: int = 40) -> list[str]:
    """The first rows of the first non-empty sheet as CSV lines, for recognition."""
    wb = _open(path, relpath)
    try:
        ws, width = _first_sheet(wb)
        if ws is None:
            return []
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for i, cells in enumerate(_rows(ws, width)):
            if i >= max_lines:
                break
            writer.writerow(cells)
        return out.getvalue().splitlines()[:max_lines]
    finally:
        wb.close()


def xlsx_to_csv(path: Path, relpath: str, workdir: Path) -> Path:
    """Write the first non-empty worksheet to a UTF-8 CSV, streaming rows (read-only mode)."""
    wb = _open(path, relpath)
    dest = workdir / (path.stem + ".xlsx.csv")
    try:
        ws, width = _first_sheet(wb)
        if ws is None:
            raise FileRejected(relpath, "the workbook has no rows in any worksheet")
        with open(dest, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for cells in _rows(ws, width):
                writer.writerow(cells)
        return dest
    finally:
        wb.close()


def _cell(v) -> str:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
