"""Report sections about the funnel itself: stage conversion, cohorts, stage velocity.

Each function reads one mart and returns a :class:`Section`; a missing mart or column raises
:class:`NotAvailable`, which the page turns into a "not available" note.

Marts and columns read:
- ``mart_funnel_cohort``: stage_order, stage_key, stage_label_en/zh, cohort_month, reached_count,
  overall_conversion_rate.
- ``mart_stage_velocity``: entered_month, stage_order, stage_key, stage_label_en/zh,
  median/p75/p90_days_in_stage.
"""

from __future__ import annotations

import plotly.graph_objects as go

from orchestration.report.i18n import label, t
from orchestration.report.marts import MartSource, number, q
from orchestration.report.section import MONTH_AXIS, Chart, Section, styled, table_html


def funnel(src: MartSource, lang: str) -> Section:
    """The funnel over all cohorts, with conversion to the next stage and overall."""
    mart = "mart_funnel_cohort"
    src.require(mart)
    for col in ("stage_order", "stage_key", "reached_count"):
        src.pick(mart, col, col)
    labels_sql = ", ".join(f"any_value({c}) as {c}" for c in ("stage_label_en", "stage_label_zh")
                           if src.has_column(mart, c))
    rows = src.rows(f"select stage_order, stage_key, {labels_sql + ',' if labels_sql else ''} "
                    f"sum(reached_count)::bigint as reached from {src.table(mart)} "
                    f"group by stage_order, stage_key order by stage_order")
    names = [label(r, lang) for r in rows]
    reached = [int(r["reached"]) for r in rows]
    fig = go.Figure(go.Funnel(y=names, x=reached, texttemplate="%{value:,} · %{percentInitial:.1%}",
                              textposition="auto", hovertemplate="%{y}: %{x:,}<extra></extra>",
                              connector={"line": {"color": "#cbd5e1"}}))
    styled(fig, height=90 + 48 * len(rows), margin={"l": 160, "r": 30, "t": 20, "b": 20})
    table = []
    for i, r in enumerate(rows):
        nxt = reached[i + 1] / reached[i] if i + 1 < len(rows) and reached[i] else None
        overall = reached[i] / reached[0] if reached[0] else None
        table.append([r["stage_order"], names[i], reached[i], nxt, overall])
    headers = ["#", t(lang, "stage"), t(lang, "reached"), t(lang, "next_conversion"), t(lang, "overall_conversion")]
    return Section("funnel", t(lang, "funnel"), t(lang, "funnel_note"), [Chart("chart-funnel", fig)],
                   [table_html(headers, table, ["", "", "", "next_rate", "overall_rate"], css="narrow")],
                   {"stages": [r["stage_key"] for r in rows], "labels": names, "reached": reached})


def cohorts(src: MartSource, lang: str) -> Section:
    """Overall conversion to each later stage, by cohort month (how the funnel moves over time)."""
    mart = "mart_funnel_cohort"
    src.require(mart)
    src.pick(mart, "cohort_month", "cohort_month")
    src.pick(mart, "overall_conversion_rate", "overall_conversion_rate")
    rows = src.rows(f"select * from {src.table(mart)} where stage_order > (select min(stage_order) from "
                    f"{src.table(mart)}) order by stage_order, cohort_month")
    fig = go.Figure()
    series: dict[str, dict] = {}
    for r in rows:
        s = series.setdefault(r["stage_key"], {"name": label(r, lang), "x": [], "y": []})
        s["x"].append(r["cohort_month"].isoformat())
        s["y"].append(number(r["overall_conversion_rate"]))
    for s in series.values():
        fig.add_trace(go.Scatter(x=s["x"], y=s["y"], name=s["name"], mode="lines+markers",
                                 hovertemplate="%{x}: %{y:.1%}<extra>" + s["name"] + "</extra>"))
    styled(fig, yaxis={"tickformat": ".0%", "title": t(lang, "overall_conversion")},
           xaxis={**MONTH_AXIS, "title": t(lang, "cohort_month")}, margin={"t": 70})
    return Section("cohorts", t(lang, "cohorts"), charts=[Chart("chart-cohorts", fig)],
                   data={k: v["y"] for k, v in series.items()})


def velocity(src: MartSource, lang: str) -> Section:
    """Median/P75/P90 days in stage for the latest entry month, and the median's trend."""
    mart = "mart_stage_velocity"
    src.require(mart)
    month_col = src.pick(mart, "entry month", "entered_month", "period_month", "month")
    cols = {k: src.pick(mart, k, f"{k}_days_in_stage") for k in ("median", "p75", "p90")}
    order = "stage_order" if src.has_column(mart, "stage_order") else "stage_key"
    rows = src.rows(f"select * from {src.table(mart)} order by {q(month_col)}, {order}")
    latest = _settled_month(rows, month_col)
    last = [r for r in rows if r[month_col] == latest]
    names = [label(r, lang) for r in last]
    bars = go.Figure([go.Bar(x=names, y=[number(r[cols[k]]) for r in last], name=t(lang, "median") if k == "median"
                             else k.upper(), hovertemplate="%{x}: %{y:.1f}<extra></extra>") for k in cols])
    styled(bars, barmode="group", yaxis={"title": t(lang, "days")}, margin={"t": 70})
    trend = go.Figure()
    by_stage: dict[str, dict] = {}
    for r in rows:
        s = by_stage.setdefault(r["stage_key"], {"name": label(r, lang), "x": [], "y": []})
        s["x"].append(r[month_col].isoformat())
        s["y"].append(number(r[cols["median"]]))
    for s in by_stage.values():
        trend.add_trace(go.Scatter(x=s["x"], y=s["y"], name=s["name"], mode="lines+markers"))
    styled(trend, yaxis={"title": f'{t(lang, "median")} ({t(lang, "days")})'}, margin={"t": 100},
           xaxis={**MONTH_AXIS, "title": t(lang, "month")})
    return Section("velocity", t(lang, "velocity"), t(lang, "velocity_note", month=latest.strftime("%Y-%m")),
                   [Chart("chart-velocity", bars), Chart("chart-velocity-trend", trend)],
                   data={"month": latest.isoformat(), "stages": [r["stage_key"] for r in last],
                         "median": [number(r[cols["median"]]) for r in last]})


def _settled_month(rows: list[dict], month_col: str):
    """The latest entry month in which, at every stage, at least half the entries have left it.

    In the newest months many entries are still in their stage and their durations are measured
    only up to today, so their percentiles say more about the calendar than about the funnel.
    """
    months = sorted({r[month_col] for r in rows}, reverse=True)
    if "exited_count" not in rows[0] or "entry_count" not in rows[0]:
        return months[0]
    for month in months:
        if all((r["exited_count"] or 0) >= 0.5 * (r["entry_count"] or 0) for r in rows if r[month_col] == month):
            return month
    return months[0]
