"""How values are spelled in the vendor files.

Timestamps are carried as integer seconds since the Unix epoch (UTC) through the simulation: cheap
to compare and add, and formatted only at the edge. Day strings are cached because a run of a few
months has a few hundred distinct days but millions of timestamps.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

DAY = 86_400
HOUR = 3_600


def epoch(d: date) -> int:
    """Seconds since the epoch at 00:00 UTC of a date."""
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


@lru_cache(maxsize=4096)
def day_str(day_number: int) -> str:
    """'YYYY-MM-DD' of a day number (days since the epoch)."""
    return datetime.fromtimestamp(day_number * DAY, tz=timezone.utc).strftime("%Y-%m-%d")


def dt(ts: int) -> str:
    """'YYYY-MM-DD HH:MM:SS' (UTC): Salesforce Data Export and Tally both write this."""
    d, s = divmod(ts, DAY)
    return f"{day_str(d)} {s // HOUR:02d}:{s % HOUR // 60:02d}:{s % 60:02d}"


def sf_date(ts: int) -> str:
    """A Salesforce date field as the Data Export writes it: 'YYYY-MM-DD 00:00:00'."""
    return day_str(ts // DAY) + " 00:00:00"


def sf_bool(value: bool) -> str:
    return "1" if value else "0"


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_months(d: date, n: int) -> date:
    """First day of the month n months after d's month."""
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def thousands(n: int) -> str:
    """Google Ads UI count: '12,345' (the csv writer adds the quotes when a comma is present)."""
    return f"{n:,}"


def money(cents: int) -> str:
    """Google Ads UI Cost/Avg. CPC cell: two decimals, no thousands separator (as in the UI export)."""
    return f"{cents // 100}.{cents % 100:02d}"


def decimal2(value: float) -> str:
    """Google Ads UI 'Conversions': two decimals with thousands separators ('4,838.80')."""
    return f"{value:,.2f}"
