"""Google Ads Editor exports (Account → Export → CSV), UTF-16 with tab separators.

Editor writes every entity of the account in one file: campaign rows (``Campaign`` set, ``Ad
group`` empty), then ad groups, keywords, ads and assets, each row filling only its own columns.
With statistics downloaded (``Clicks``, ``Impr.``, ``Cost`` columns), the campaign rows carry the
spend of the date range chosen in Editor — a range the file does not state, so rows load with no
date and no period (dbt cannot place them in time; prefer the day-grain UI report for spend).
Rows of other entities are excluded and counted, never loaded as campaigns. Without statistics
the file holds structure only and is recognised and ignored. Delivery mode: snapshot.
"""

from __future__ import annotations

from orchestration.ingest.adapters.ad_spend import spend_columns
from orchestration.ingest.adapters.base import ReadPlan, find_header, has_all, has_any, ref

TYPE_COLUMNS = ("Campaign Type", "Campaign type")


def _is_header(fields: list[str]) -> bool:
    return has_all(fields, "Campaign", "Ad group") and has_any(fields, *TYPE_COLUMNS) \
        and has_any(fields, "Budget", "Networks", "Bid Strategy Type")


class GoogleAdsEditorAdapter:
    name = "google_ads_editor"

    def plan(self, sample) -> ReadPlan | None:
        found = find_header(sample.lines, _is_header, delimiters=("\t",), max_lines=3)
        if found is None:
            return None
        line, fields, delimiter = found
        type_col = next(c for c in TYPE_COLUMNS if has_any(fields, c))
        # a campaign row: an ad group-less row that states the campaign's type
        not_campaign = (f"(fw_text({ref('Ad group')}) is not null or fw_text({ref(type_col)}) is null "
                        f"or fw_text({ref('Campaign')}) is null)")
        columns = spend_columns(
            "google_ads", campaign="Campaign", campaign_id=("Campaign ID",), spend=("Cost",),
            impressions=("Impr.", "Impressions"), clicks=("Clicks",), conversions=("Conversions", "Conv."),
            account=("Customer ID", "Account"), currency=("Currency code", "Currency"),
        )
        plan = ReadPlan(adapter=self.name, source_system="google_ads", target_table="ad_spend", columns=columns,
                        header_line=line, delimiter=delimiter, summary_predicate=not_campaign, delivery="snapshot",
                        notes=["Editor statistics have no date in the file: rows load with date and period empty; "
                               "rows of ad groups, keywords, ads and assets are excluded (counted as summary rows)"])
        if not has_any(fields, "Cost"):
            plan.target_table = None
            plan.ignore_reason = ("Google Ads Editor export without statistics recognised: it describes the account's "
                                  "structure, not spend (export with statistics, or deliver the UI campaign report)")
        return plan
