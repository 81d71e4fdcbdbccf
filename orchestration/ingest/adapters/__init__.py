"""Vendor adapters. Order matters: the first adapter whose signature matches a file wins.

Signatures are header labels, never file names. Adapters whose signature is a strict one-line
header (Salesforce Data Export, HubSpot) come first; report formats that search for their header
below a preamble follow, the most specific preamble first (Microsoft's ``Report Name:`` before
Google Ads' title lines); web forms, whose question columns are free text, come last.
"""

from orchestration.ingest.adapters.baidu_ads import BaiduAdsAdapter
from orchestration.ingest.adapters.base import Adapter, Col, ReadPlan, RecordCount, TotalCheck, Unpivot
from orchestration.ingest.adapters.google_ads import GoogleAdsReportAdapter
from orchestration.ingest.adapters.google_ads_editor import GoogleAdsEditorAdapter
from orchestration.ingest.adapters.hubspot import HubSpotAdapter
from orchestration.ingest.adapters.linkedin_ads import LinkedInAdsAdapter
from orchestration.ingest.adapters.meta_ads import MetaAdsAdapter
from orchestration.ingest.adapters.microsoft_ads import MicrosoftAdsAdapter
from orchestration.ingest.adapters.ocean_engine import OceanEngineAdapter
from orchestration.ingest.adapters.salesforce_export import SalesforceExportAdapter
from orchestration.ingest.adapters.salesforce_report import SalesforceReportAdapter
from orchestration.ingest.adapters.web_forms import WebFormAdapter

BUILTIN_ADAPTERS: list[Adapter] = [
    SalesforceExportAdapter(),
    HubSpotAdapter(),
    SalesforceReportAdapter(),
    MicrosoftAdsAdapter(),
    GoogleAdsEditorAdapter(),
    GoogleAdsReportAdapter(),
    MetaAdsAdapter(),
    LinkedInAdsAdapter(),
    BaiduAdsAdapter(),
    OceanEngineAdapter(),
    WebFormAdapter(),
]

__all__ = ["Adapter", "BUILTIN_ADAPTERS", "Col", "ReadPlan", "RecordCount", "TotalCheck", "Unpivot"]
