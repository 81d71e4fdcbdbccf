"""Write ``<out>/report/funnel_report.html`` (or ``funnel_report.zh.html``) from the published marts.

The report reads the published ``funnel.duckdb`` — the same build BI tools see — and is written to
a temporary file that replaces the old report in one rename, so a person opening it mid-build
gets yesterday's report or today's, never half a page. A section whose mart is missing says
"not available" and why; any other error is a bug and fails the report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.publish.catalog import open_published, read_build
from orchestration.report import analysis_sections, funnel_sections
from orchestration.report.i18n import LANGS, t
from orchestration.report.marts import MartSource, NotAvailable
from orchestration.report.page import render
from orchestration.report.section import Section

REPORT_DIR = "report"

# (section key = its title's key in i18n.TEXT, the function that draws it), in page order
SECTIONS: list[tuple[str, Callable[[MartSource, str], Section]]] = [
    ("funnel", funnel_sections.funnel),
    ("cohorts", funnel_sections.cohorts),
    ("dimension", analysis_sections.dimension),
    ("loss", analysis_sections.loss_reasons),
    ("campaigns", analysis_sections.campaigns),
    ("velocity", funnel_sections.velocity),
    ("alerts", analysis_sections.alerts),
    ("root_cause", analysis_sections.root_cause),
]


@dataclass
class ReportResult:
    path: Path
    build_id: str
    lang: str
    sections: dict[str, str]  # section key -> "ok" or the reason it is not available
    bytes: int
    seconds: float


def report_path(out_dir: Path, lang: str = "en") -> Path:
    name = "funnel_report.html" if lang == "en" else f"funnel_report.{lang}.html"
    return out_dir / REPORT_DIR / name


def build_sections(src: MartSource, lang: str) -> list[Section]:
    sections = []
    for key, make in SECTIONS:
        try:
            sections.append(make(src, lang))
        except NotAvailable as na:
            sections.append(Section(key, t(lang, key), unavailable=t(lang, na.key, **na.values)))
    return sections


def write_report(published: Path, out_dir: Path, lang: str = "en") -> ReportResult:
    """Render the report of the build in ``published`` and swap it into ``<out_dir>/report/``."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} is not supported; use one of {', '.join(LANGS)}")
    started = time.monotonic()
    with open_published(published) as con:
        build = read_build(con)
        sections = build_sections(MartSource(con, build), lang)
    page = render(build, sections, lang)
    target = report_path(out_dir, lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return ReportResult(target, build.build_id, lang,
                        {s.key: s.unavailable or "ok" for s in sections}, len(page.encode()), time.monotonic() - started)
