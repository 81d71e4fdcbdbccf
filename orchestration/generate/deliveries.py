"""Nightly deliveries: the exports of several nights, each in a folder of its own under one landing folder.

Delivery 0 is the history a new installation starts from (``months`` months from ``start``).
Delivery ``k`` ≥ 1 is the next night's incremental export: the records created in the ``k``-th
month after that history, with about ``leads / months`` leads. Each delivery lands in
``<landing>/<export date>/`` (``YYYY-MM-DD``), so the folders sort in the order they arrived and a
rebuild from scratch loads them in that order, as the nights did.

A delivery is generated with ``seed + k``, so its record ids never collide with an earlier
delivery's. Each is therefore its own small org — its own reps, and campaigns with the same names
under new ids — not a continuation of one org: the generator cannot export one org at two points
in time yet. That is enough for what deliveries are for (tests and benchmarks of a night that adds
new files to a warehouse already built), not for stage changes of earlier records.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .fmt import add_months
from .run import generate


def delivery_window(index: int, *, start: date, months: int) -> tuple[date, int]:
    """First day and number of months of delivery ``index``."""
    if index < 0:
        raise ValueError(f"delivery index must be 0 or more, got {index}")
    return (start, months) if index == 0 else (add_months(start, months + index - 1), 1)


def export_date(index: int, *, start: date = date(2026, 1, 1), months: int = 6) -> date:
    """The day delivery ``index`` was exported: the first day after its window (also its folder name)."""
    first, span = delivery_window(index, start=start, months=months)
    return add_months(first, span)


def generate_delivery(landing_dir: Path, index: int, *, leads: int = 1_000, seed: int = 42,
                      start: date = date(2026, 1, 1), months: int = 6, scenario: str = "default") -> Path:
    """Write delivery ``index`` into ``landing_dir/<export date>/`` and return that folder.

    Same arguments, same bytes. ``leads`` is the size of the history (delivery 0); a later delivery
    has ``max(1, leads // months)`` leads. Its planted truth is in ``<folder>/.truth/``.
    """
    first, span = delivery_window(index, start=start, months=months)
    folder = Path(landing_dir) / export_date(index, start=start, months=months).isoformat()
    generate(folder, leads=leads if index == 0 else max(1, leads // months), seed=seed + index, start=first,
             months=span, scenario=scenario)
    return folder
