"""Vendor adapters. Order matters: the first adapter whose signature matches a file wins."""

from orchestration.ingest.adapters.base import Adapter, Col, ReadPlan, TotalCheck
from orchestration.ingest.adapters.google_ads import GoogleAdsReportAdapter
from orchestration.ingest.adapters.salesforce_export import SalesforceExportAdapter
from orchestration.ingest.adapters.web_forms import WebFormAdapter

BUILTIN_ADAPTERS: list[Adapter] = [
    SalesforceExportAdapter(),
    GoogleAdsReportAdapter(),
    WebFormAdapter(),
]

__all__ = ["Adapter", "BUILTIN_ADAPTERS", "Col", "ReadPlan", "TotalCheck"]
