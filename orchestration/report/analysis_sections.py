"""Report sections about *why*: conversion by dimension, loss reasons, campaign ROI, alerts, root cause.

These marts are defined in METRICS.md; their exact column names are looked up from short lists
of accepted spellings (first match wins), so a section draws as soon as its mart is published:

- ``mart_conversion_by_dimension``: period (period_month | period_start | period | month),
  dimension (dimension_name | dimension | dimension_key), value (dimension_value | value),
  rate (conversion_rate | rate); optional metric (metric_key | metric | metric_name), volume
  (entities_count | entity_count | entities | denominator_count), 95 % interval
  (rate_ci_low/high | wilson_low/high | ci_low/high), priority.
- ``mart_stage_loss_reasons``: stage_key (+ stage_label_en/zh), reason (loss_reason |
  loss_reason_category | reason), per-reason count (reason_lost_count | reason_count |
  loss_reason_count | lost_count).
- ``mart_campaign_performance``: campaign (campaign_name | campaign_key | campaign_id), spend
  (spend_amount* | spend*), revenue (revenue_amount* | revenue* | won_amount*); rows with a null
  month column are per-campaign totals and are left out of the sums.
- ``mart_alerts`` and ``mart_root_cause``: shown as tables of the latest period.
"""

from __future__ import annotations

import plotly.graph_objects as go

from orchestration.report.i18n import label, t
from orchestration.report.marts import MartSource, NotAvailable, number, q
from orchestration.report.section import Chart, Section, dropdown, styled, table_html

PERIOD_NAMES = ("period_month", "period_start", "period", "month", "alert_month", "current_period")


def _prefixed(src: MartSource, mart: str, what: str, *prefixes: str) -> str:
    src.require(mart)
    for p in prefixes:
        for c in src.build.mart(mart).column_names():
            if c == p or c.startswith(p + "_"):
                return c
    raise NotAvailable("column_missing", mart=mart, what=what, names=", ".join(f"{p}*" for p in prefixes))


def dimension(src: MartSource, lang: str) -> Section:
    mart = "mart_conversion_by_dimension"
    period = src.pick(mart, "period", *PERIOD_NAMES)
    dim = src.pick(mart, "dimension", "dimension_name", "dimension", "dimension_key")
    val = src.pick(mart, "value", "dimension_value", "value")
    rate = src.pick(mart, "rate", "conversion_rate", "rate")
    metric = src.pick(mart, "metric", "metric_key", "metric", "metric_name", required=False)
    volume = src.pick(mart, "volume", "entities_count", "entity_count", "entities", "denominator_count", required=False)
    lo = src.pick(mart, "interval", "rate_ci_low", "wilson_low", "ci_low", "rate_lower", required=False)
    hi = src.pick(mart, "interval", "rate_ci_high", "wilson_high", "ci_high", "rate_upper", required=False)
    rows = src.rows(f"select * from {src.table(mart)} where {q(period)} = (select max({q(period)}) from "
                    f"{src.table(mart)}) order by {q(metric) + ',' if metric else ''} {q(dim)}, "
                    f"{q(volume) + ' desc' if volume else q(rate) + ' desc'}")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        key = f"{r[metric]} · {r[dim]}" if metric else str(r[dim])
        if len(groups.get(key, [])) < 15:
            groups.setdefault(key, []).append(r)
    groups = dict(list(groups.items())[:40])
    fig = go.Figure()
    for i, (key, items) in enumerate(groups.items()):
        items = sorted(items, key=lambda r: number(r[rate]) or 0, reverse=True)
        y = [number(r[rate]) for r in items]
        error = None
        if lo and hi:
            error = {"type": "data", "array": [(number(r[hi]) or 0) - (v or 0) for r, v in zip(items, y)],
                     "arrayminus": [(v or 0) - (number(r[lo]) or 0) for r, v in zip(items, y)]}
        fig.add_trace(go.Bar(x=[str(r[val]) for r in items], y=y, error_y=error, name=key, visible=i == 0,
                             hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    styled(fig, yaxis={"tickformat": ".0%", "title": t(lang, "rate")}, showlegend=False,
           updatemenus=[dropdown(list(groups), 1)] if len(groups) > 1 else [], margin={"t": 70})
    latest = rows[0][period] if rows else None
    tables = []
    if src.has_column(mart, "priority"):
        top = [r for r in rows if str(r["priority"]).lower() == "high"][:10]
        shown = [c for c in (metric, dim, val, volume, rate, "rate_change_pp", "change_pp", "p_value", "priority")
                 if c and (c in (metric, dim, val, volume, rate) or src.has_column(mart, c))]
        if top:
            tables.append(table_html(shown, [[r[c] for c in shown] for r in top], shown))
    return Section("dimension", t(lang, "dimension"), t(lang, "dimension_note"), [Chart("chart-dimension", fig)],
                   tables, {"period": str(latest), "groups": {k: len(v) for k, v in groups.items()}})


def loss_reasons(src: MartSource, lang: str) -> Section:
    mart = "mart_stage_loss_reasons"
    src.pick(mart, "stage", "stage_key")
    reason = src.pick(mart, "reason", "loss_reason", "loss_reason_category", "reason")
    count = src.pick(mart, "count", "reason_lost_count", "reason_count", "loss_reason_count", "lost_count")
    labels = ", ".join(f"any_value({c}) as {c}" for c in ("stage_label_en", "stage_label_zh") if src.has_column(mart, c))
    order = "min(stage_order)" if src.has_column(mart, "stage_order") else "stage_key"
    stages = src.rows(f"select stage_key {', ' + labels if labels else ''} from {src.table(mart)} "
                      f"group by stage_key order by {order}")
    totals = src.rows(f"select stage_key, coalesce({q(reason)}, 'unspecified') as reason, "
                      f"sum({q(count)})::bigint as lost from {src.table(mart)} group by all order by lost desc, reason")
    fig = go.Figure()
    data = {}
    shown = []
    for s in stages:
        items = [r for r in totals if r["stage_key"] == s["stage_key"] and r["lost"]]
        if not items:
            continue
        total = sum(r["lost"] for r in items)
        cumulative, running = [], 0
        for r in items:
            running += r["lost"]
            cumulative.append(running / total)
        first = not shown
        x = [str(r["reason"]) for r in items]
        fig.add_trace(go.Bar(x=x, y=[r["lost"] for r in items], name=t(lang, "lost"), visible=first))
        fig.add_trace(go.Scatter(x=x, y=cumulative, name=t(lang, "cumulative_share"), yaxis="y2", mode="lines+markers",
                                 visible=first, hovertemplate="%{y:.0%}<extra></extra>"))
        shown.append(label(s, lang))
        data[s["stage_key"]] = {"reasons": x, "lost": [r["lost"] for r in items]}
    if not shown:
        raise NotAvailable("mart_empty", mart=mart)
    styled(fig, yaxis={"title": t(lang, "lost")}, margin={"t": 70},
           yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05], "dtick": 0.25,
                   "showgrid": False},
           updatemenus=[dropdown(shown, 2)] if len(shown) > 1 else [])
    return Section("loss", t(lang, "loss"), t(lang, "loss_note"), [Chart("chart-loss", fig)], data=data)


def campaigns(src: MartSource, lang: str) -> Section:
    mart = "mart_campaign_performance"
    name = src.pick(mart, "campaign", "campaign_name", "campaign_key", "campaign_id")
    spend = _prefixed(src, mart, "spend", "spend_amount", "spend")
    revenue = _prefixed(src, mart, "revenue", "revenue_amount", "revenue", "won_amount")
    month = src.pick(mart, "month", "period_month", "month", "spend_month", required=False)
    where = f"where {q(month)} is not null" if month else ""
    rows = src.rows(f"select {q(name)}::varchar as campaign, sum({q(spend)})::double as spend, "
                    f"sum({q(revenue)})::double as revenue from {src.table(mart)} {where} "
                    f"group by 1 order by spend desc nulls last limit 25")
    for r in rows:
        r["roi"] = (r["revenue"] or 0) / r["spend"] - 1 if r["spend"] else None
    rows.sort(key=lambda r: (r["roi"] is None, -(r["roi"] or 0)))
    fig = go.Figure(go.Bar(
        y=[r["campaign"] for r in rows], x=[r["roi"] for r in rows], orientation="h",
        marker={"color": ["#16a34a" if (r["roi"] or 0) >= 0 else "#dc2626" for r in rows]},
        customdata=[[r["spend"], r["revenue"]] for r in rows],
        hovertemplate="%{y}<br>ROI %{x:.0%}<br>" + t(lang, "spend") + " %{customdata[0]:,.0f}<br>"
                      + t(lang, "revenue") + " %{customdata[1]:,.0f}<extra></extra>"))
    styled(fig, height=120 + 26 * len(rows), xaxis={"tickformat": ".0%", "title": t(lang, "roi")},
           yaxis={"autorange": "reversed"}, margin={"l": 200})
    table = table_html([t(lang, "campaign"), t(lang, "spend"), t(lang, "revenue"), t(lang, "roi")],
                       [[r["campaign"], r["spend"], r["revenue"], r["roi"]] for r in rows], ["", "", "", "roi"])
    return Section("campaigns", t(lang, "campaigns"), t(lang, "campaigns_note"), [Chart("chart-campaigns", fig)],
                   [table], {"campaigns": [r["campaign"] for r in rows], "roi": [r["roi"] for r in rows]})


def latest_table(src: MartSource, lang: str, mart: str, key: str, *, order_by: tuple[str, ...] = (),
                 limit: int = 15) -> Section:
    """The mart's rows for its latest period (all rows if it has none), as a table."""
    src.require(mart)
    period = src.pick(mart, "period", *PERIOD_NAMES, required=False)
    sort = next((c for c in order_by if src.has_column(mart, c)), None)
    where = f"where {q(period)} = (select max({q(period)}) from {src.table(mart)})" if period else ""
    order = f"order by abs({q(sort)}) desc nulls last" if sort else ""
    rows = src.rows(f"select * from {src.table(mart)} {where} {order} limit {int(limit)}")
    skip = "_en" if lang == "zh" else "_zh"
    columns = [c for c in src.build.mart(mart).column_names() if not c.endswith(skip) and c != period][:9]
    note = t(lang, "latest_rows", period=rows[0][period]) if period and rows else ""
    tables = [table_html(columns, [[r[c] for c in columns] for r in rows], columns, css="wide")] if rows \
        else [f"<p>{t(lang, 'no_rows')}</p>"]
    return Section(key, t(lang, key), note, tables=tables, data={"rows": len(rows)})


def alerts(src: MartSource, lang: str) -> Section:
    return latest_table(src, lang, "mart_alerts", "alerts")


def root_cause(src: MartSource, lang: str) -> Section:
    return latest_table(src, lang, "mart_root_cause", "root_cause",
                        order_by=("contribution", "explanatory_power", "rate_effect", "deviation", "score"))
