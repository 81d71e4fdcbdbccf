"""巨量引擎 Ocean Engine (Douyin/Toutiao ads, 巨量广告) report exports in Chinese.

The 数据报表 download is GBK-encoded CSV with a title line and a time-range line above the
header (``日期, 广告主ID, 计划ID, 计划名称, 消耗, 展示数, 点击数, …``; older exports say 消费,
展示, 点击, 广告计划), and a ``总计`` row that is excluded and cross-checked against the rows'
spend. Amounts are in CNY. Delivery mode: one file per period; the same path re-delivered
replaces it.
"""

from __future__ import annotations

from orchestration.ingest.adapters.ad_spend import DATE_FORMATS, spend_columns
from orchestration.ingest.adapters.baidu_ads import period_from, total_predicate
from orchestration.ingest.adapters.base import Col, ReadPlan, TotalCheck, find_header, has_any
from orchestration.ingest.files import FileSample

CAMPAIGN = ("计划名称", "广告计划", "广告计划名称", "项目名称")
SPEND = ("消耗", "消费", "总花费")
IMPRESSIONS = ("展示数", "展示", "展示次数")
CLICKS = ("点击数", "点击", "点击次数")


def _is_header(fields: list[str]) -> bool:
    return has_any(fields, *CAMPAIGN) and has_any(fields, *SPEND) and has_any(fields, *IMPRESSIONS)


class OceanEngineAdapter:
    name = "ocean_engine"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        found = find_header(sample.lines, _is_header, delimiters=(",", "\t"), max_lines=15)
        if found is None:
            return None
        line, fields, delimiter = found
        date = next((c for c in ("日期", "时间") if has_any(fields, c)), None)
        spend = next(c for c in SPEND if has_any(fields, c))
        summary = total_predicate(fields[0])
        columns = spend_columns(
            "ocean_engine", campaign=CAMPAIGN, campaign_id=("计划ID", "广告计划ID", "项目ID"), spend=spend,
            impressions=IMPRESSIONS, clicks=CLICKS, conversions=("转化数", "转化"),
            date=Col(date, "date", formats=DATE_FORMATS) if date else None,
            account=("广告主ID", "账户ID", "广告主名称"), currency_const="CNY",
            period=period_from(sample.lines[:line], "时间", "时间范围", "日期范围"),
        )
        return ReadPlan(adapter=self.name, source_system="ocean_engine", target_table="ad_spend", columns=columns,
                        header_line=line, delimiter=delimiter, summary_predicate=summary, delivery="snapshot",
                        total_check=TotalCheck(label_predicate=summary, label="总计", measures={"spend": spend}))
