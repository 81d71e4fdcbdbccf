"""The funnel report: one self-contained HTML page per build, drawn from the published marts."""

from orchestration.report.build import ReportResult, report_path, write_report

__all__ = ["ReportResult", "report_path", "write_report"]
