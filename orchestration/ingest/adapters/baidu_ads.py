"""百度营销 (Baidu 推广 / 凤巢) reports downloaded as CSV: 账户/推广计划 报告.

The download is GBK-encoded, opens with a few lines naming the report, the account and the date
range (``时间范围：2024-03-01 至 2024-03-07``), then the header (``日期, 账户, 推广计划, 展现,
点击, 消费, …``), the rows, and a ``合计``/``总计`` row. The header is found by its labels;
the total row is excluded and its 消费 must equal the rows' sum. Amounts are in CNY. Delivery
mode: one file per period; the same path re-delivered replaces it.
"""

from __future__ import annotations

import re

from orchestration.ingest.adapters.ad_spend import DATE_FORMATS, preamble_value, spend_columns
from orchestration.ingest.adapters.base import Col, ReadPlan, TotalCheck, find_header, has_all, has_any, ref
from orchestration.ingest.files import FileSample
from orchestration.sql import quote_literal

TOTAL_LABELS = ("合计", "总计", "汇总", "Total")
_RANGE = re.compile(r"(\d{4}[-/]\d{1,2}[-/]\d{1,2})\s*(?:至|到|~|-|—)\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2})")


def _is_header(fields: list[str]) -> bool:
    return has_all(fields, "推广计划") and has_any(fields, "展现", "展现量") and has_any(fields, "消费", "花费")


def period_from(preamble: list[str], *labels: str) -> tuple[str | None, str | None]:
    """``2024-03-01 至 2024-03-07`` (or ``2024/3/1 ~ 2024/3/7``) in a preamble line → ISO dates."""
    for label in labels:
        m = _RANGE.search(preamble_value(preamble, label) or "")
        if m:
            return tuple("-".join(f"{int(p):02d}" for p in re.split(r"[-/]", d)) for d in m.groups())  # type: ignore
    return None, None


def total_predicate(first_column: str) -> str:
    labels = ", ".join(quote_literal(t) for t in TOTAL_LABELS)
    return f"coalesce(fw_text({ref(first_column)}), '') in ({labels})"


class BaiduAdsAdapter:
    name = "baidu_ads"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        found = find_header(sample.lines, _is_header, delimiters=(",", "\t"), max_lines=15)
        if found is None:
            return None
        line, fields, delimiter = found
        preamble = sample.lines[:line]
        date = next((c for c in ("日期", "时间") if has_any(fields, c)), None)
        spend = next(c for c in ("消费", "花费") if has_any(fields, c))
        summary = total_predicate(fields[0])
        columns = spend_columns(
            "baidu_ads", campaign="推广计划", campaign_id=("推广计划ID", "计划ID"), spend=spend,
            impressions=("展现", "展现量"), clicks=("点击", "点击量"), conversions=("转化", "网页转化", "转化量"),
            date=Col(date, "date", formats=DATE_FORMATS) if date else None,
            account=("账户", "账户名称", "账户ID"), currency_const="CNY",
            period=period_from(preamble, "时间范围", "时间", "日期范围"),
        )
        return ReadPlan(adapter=self.name, source_system="baidu_ads", target_table="ad_spend", columns=columns,
                        header_line=line, delimiter=delimiter, summary_predicate=summary, delivery="snapshot",
                        total_check=TotalCheck(label_predicate=summary, label="合计", measures={"spend": spend}))
