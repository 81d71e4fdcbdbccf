"""The parts a report section is made of — charts, a table, a note — and their HTML.

Sections are plain data so the page can lay them out uniformly and a test can read the numbers a
section drew (``data``) without parsing HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import plotly.graph_objects as go

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'
COLORS = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c"]


@dataclass
class Chart:
    id: str
    figure: go.Figure


@dataclass
class Section:
    key: str
    title: str
    note: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    unavailable: str | None = None  # the reason, when the section cannot be drawn


def styled(fig: go.Figure, *, height: int = 380, **layout) -> go.Figure:
    """One look for every chart: white template, CJK-capable fonts, room for a dropdown above."""
    margin = {"l": 60, "r": 30, "t": 50, "b": 50, **layout.pop("margin", {})}
    fig.update_layout(template="plotly_white", height=height, font={"family": FONT, "size": 13}, margin=margin,
                      colorway=COLORS, legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1,
                                               "xanchor": "right"}, **layout)
    return fig


MONTH_AXIS = {"type": "date", "tickformat": "%Y-%m", "dtick": "M1"}


def dropdown(labels: list[str], traces_per_option: int) -> dict:
    """An updatemenu that shows one option's traces at a time (a dimension, a stage, …)."""
    n = len(labels)
    buttons = []
    for i, text in enumerate(labels):
        visible = [j // traces_per_option == i for j in range(n * traces_per_option)]
        buttons.append({"label": text, "method": "update", "args": [{"visible": visible}]})
    return {"buttons": buttons, "direction": "down", "x": 0, "xanchor": "left", "y": 1.18, "yanchor": "top",
            "showactive": True}


def fmt(value, column: str = "") -> str:
    """A cell as a person reads it: rates as percentages, big numbers with separators, dates as ISO."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if column.endswith(("_rate", "_share", "_pct", "roi", "roas")) or column in ("rate", "share"):
            return f"{value:.1%}"
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def table_html(headers: list[str], rows: list[list], columns: list[str] | None = None, css: str = "") -> str:
    """An escaped HTML table; ``columns`` (the source column names) drive number formatting."""
    columns = columns or [""] * len(headers)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(v, c))}</td>" for v, c in zip(r, columns)) + "</tr>" for r in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
