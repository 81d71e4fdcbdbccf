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
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from orchestration.ingest.errors import FileRejected


@contextmanager
def _open(path: Path, relpath: str):
    """The workbook, read-only; any failure to open it is a :class:`FileRejected` naming the file.

    Opened from a file object, not a path: openpyxl refuses paths whose suffix is not .xlsx, and
    a workbook delivered as ``Lead.csv`` is recognised by its content like every other file.
    Broken workbooks fail in many ways (bad ZIP, missing parts, malformed XML), all of them here.
    """
    from openpyxl import load_workbook  # heavy import, only when an XLSX arrives

    with open(path, "rb") as fh:
        try:
            wb = load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - every way a workbook can be broken
            raise FileRejected(relpath, f"looks like an XLSX/ZIP file but cannot be opened as a workbook: "
                               f"{type(exc).__name__}: {exc}",
                               hint="export the data as CSV or XLSX from the vendor, not another archive") from None
        try:
            yield wb
        except FileRejected:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError) as exc:
            # a damaged sheet found while streaming its rows (SyntaxError: malformed XML)
            raise FileRejected(relpath, "the workbook is damaged and its rows cannot be read: "
                               f"{type(exc).__name__}: {exc}",
                               hint="open it in a spreadsheet program, save it again as XLSX, and re-deliver") from None
        finally:
            wb.close()


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
    with _open(path, relpath) as wb:
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


def xlsx_to_csv(path: Path, relpath: str, workdir: Path) -> Path:
    """Write the first non-empty worksheet to a UTF-8 CSV, streaming rows (read-only mode)."""
    dest = workdir / (path.stem + ".xlsx.csv")
    with _open(path, relpath) as wb:
        ws, width = _first_sheet(wb)
        if ws is None:
            raise FileRejected(relpath, "the workbook has no rows in any worksheet")
        with open(dest, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for cells in _rows(ws, width):
                writer.writerow(cells)
        return dest


def _cell(v) -> str:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
