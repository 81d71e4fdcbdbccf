"""Turning sample values into short strings, masking those from PII columns.

Samples travel to Dagster metadata, logs and ``quality.dq_results``, all of which are read by more
people than the raw tables. A masked sample must still help: ``j***@example.com`` shows the domain
is fine, ``***4200`` that the phone has digits, ``b***`` that the value is not empty.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Iterable

MASK = "***"
_MAX_LEN = 80


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return isinstance(value, float) and math.isnan(value)


def format_value(value: Any) -> str:
    """A readable, bounded text form of one value (dates as ISO, whole floats without .0)."""
    if is_missing(value):
        return "null"
    if hasattr(value, "isoformat") and isinstance(value, (datetime, date)):
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
        return text.removesuffix(" 00:00:00")
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            return format_value(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= _MAX_LEN else text[: _MAX_LEN - 1] + "…"


def mask_value(value: Any, column: str) -> str:
    """Mask one PII value; the kind of mask follows the column name (email, phone, anything else)."""
    if is_missing(value):
        return "null"
    text = str(value).strip()
    if not text:
        return "''"
    lowered = column.lower()
    if "email" in lowered and text.count("@") == 1:
        local, domain = text.split("@")
        return f"{local[:1]}{MASK}@{domain}"
    if "phone" in lowered or "mobile" in lowered:
        digits = re.sub(r"\D", "", text)
        return f"{MASK}{digits[-2:]}" if len(digits) > 4 else MASK
    return f"{text[:1]}{MASK}"


def format_sample(value: Any, columns: Iterable[str], pii: Iterable[str]) -> str:
    """Format a sample that comes from ``columns`` (one value, or a tuple for multi-column checks)."""
    cols = list(columns)
    pii_set = set(pii)
    if isinstance(value, tuple) and len(cols) == len(value) and len(cols) > 1:
        parts = [mask_value(v, c) if c in pii_set else format_value(v) for v, c in zip(value, cols)]
        return "(" + ", ".join(parts) + ")"
    if cols and cols[0] in pii_set:
        return mask_value(value, cols[0])
    return format_value(value)
