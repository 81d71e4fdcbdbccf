"""The report's words in English and Chinese. Stage labels come from the marts (``*_label_zh``), not here.

Kept as one table so a translator edits one file, and so a missing translation falls back to
English instead of failing a nightly report.
"""

from __future__ import annotations

LANGS = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Sales funnel report", "zh": "销售漏斗报告"},
    "build": {"en": "Build", "zh": "构建"},
    "published": {"en": "published", "zh": "发布于"},
    "marts": {"en": "marts", "zh": "数据集市表"},
    "generated": {"en": "Generated from", "zh": "数据来源"},
    "not_available": {"en": "Not available", "zh": "暂无数据"},
    "mart_missing": {"en": "mart {mart} is not in this build yet", "zh": "本次构建尚无数据表 {mart}"},
    "mart_empty": {"en": "mart {mart} has no rows", "zh": "数据表 {mart} 没有数据"},
    "column_missing": {"en": "mart {mart} has no {what} column (looked for: {names})",
                       "zh": "数据表 {mart} 缺少{what}列（查找了：{names}）"},
    "contents": {"en": "Contents", "zh": "目录"},
    # sections
    "funnel": {"en": "Funnel and stage conversion (all cohorts)", "zh": "漏斗与阶段转化（全部队列）"},
    "funnel_note": {"en": "Leads grouped by the month they were created; a lead counts at every stage it reached, "
                            "skipped stages included.",
                    "zh": "按线索创建月份分组；线索在其到达的每个阶段都计数（含跳过的阶段）。"},
    "cohorts": {"en": "Overall conversion by cohort month", "zh": "各队列月份整体转化率"},
    "dimension": {"en": "Conversion by dimension", "zh": "分维度转化率"},
    "dimension_note": {"en": "Latest period; bars show the rate, whiskers the 95% interval. Pick a dimension above the chart.",
                       "zh": "最近一期；柱为转化率，误差线为95%置信区间。可在图上方切换维度。"},
    "loss": {"en": "Loss reasons per stage (Pareto)", "zh": "各阶段流失原因（帕累托）"},
    "loss_note": {"en": "All periods; bars are lost records per reason, the line the cumulative share. Pick a stage above the chart.",
                  "zh": "全部期间；柱为各原因流失数，折线为累计占比。可在图上方切换阶段。"},
    "campaigns": {"en": "Campaign ROI", "zh": "营销活动投资回报率（ROI）"},
    "campaigns_note": {"en": "ROI = (revenue − spend) / spend, all months.", "zh": "ROI =（收入 − 花费）/ 花费，全部月份。"},
    "velocity": {"en": "Stage velocity (days in stage)", "zh": "阶段速度（停留天数）"},
    "velocity_note": {"en": "Median, P75 and P90 days in stage for entries in {month} (the latest month in which, at "
                              "every stage, at least half the entries have left it); the line chart shows the median by entry month.",
                      "zh": "{month}（各阶段均已有至少一半记录离开的最近月份）进入各阶段的停留天数中位数、P75 与 P90；"
                              "折线图为各进入月份的中位数。"},
    "alerts": {"en": "Alerts", "zh": "预警"},
    "root_cause": {"en": "Root-cause highlights", "zh": "根因分析要点"},
    "latest_rows": {"en": "Latest period: {period}", "zh": "最近一期：{period}"},
    # axis and column labels
    "stage": {"en": "Stage", "zh": "阶段"},
    "reached": {"en": "Reached", "zh": "到达数"},
    "next_conversion": {"en": "Conversion to next stage", "zh": "下一阶段转化率"},
    "overall_conversion": {"en": "Overall conversion", "zh": "整体转化率"},
    "cohort_month": {"en": "Cohort month", "zh": "队列月份"},
    "rate": {"en": "Conversion rate", "zh": "转化率"},
    "value": {"en": "Value", "zh": "取值"},
    "lost": {"en": "Lost", "zh": "流失数"},
    "cumulative_share": {"en": "Cumulative share", "zh": "累计占比"},
    "reason": {"en": "Reason", "zh": "原因"},
    "campaign": {"en": "Campaign", "zh": "营销活动"},
    "spend": {"en": "Spend", "zh": "花费"},
    "revenue": {"en": "Revenue", "zh": "收入"},
    "roi": {"en": "ROI", "zh": "投资回报率"},
    "days": {"en": "Days", "zh": "天数"},
    "median": {"en": "Median", "zh": "中位数"},
    "month": {"en": "Month", "zh": "月份"},
    "no_rows": {"en": "No rows in the latest period.", "zh": "最近一期没有记录。"},
}


def t(lang: str, key: str, **values) -> str:
    entry = TEXT[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def label(row: dict, lang: str, base: str = "stage") -> str:
    """A stage (or other) label from a mart row: ``<base>_label_zh`` in Chinese, ``_en`` otherwise, else the key."""
    key = row.get(f"{base}_key")
    if lang == "zh" and row.get(f"{base}_label_zh"):
        return str(row[f"{base}_label_zh"])
    return str(row.get(f"{base}_label_en") or key or "")
