"""One self-contained HTML page: inline CSS, plotly.js inlined once, each chart's spec as JSON.

Self-contained because the report is mailed around and opened on laptops without network (or
behind a firewall that blocks CDNs): nothing is fetched when it opens. Chart specs and the numbers
each section drew are embedded as JSON; every ``</`` is escaped so a campaign called
``</script>`` cannot end the script early. When every chart has rendered, ``<body data-ready>``
is set, which the browser test waits for.
"""

from __future__ import annotations

import html
import json

import plotly.io as pio
from plotly.offline import get_plotlyjs

from orchestration.publish.catalog import PublishedBuild
from orchestration.report.i18n import t
from orchestration.report.section import FONT, Section

CSS = """
body{font-family:%(font)s;margin:0;color:#0f172a;background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;color:#cbd5e1;font-size:13px}
nav{padding:10px 32px;background:#e2e8f0;font-size:13px}
nav a{margin-right:14px;color:#1e3a8a;text-decoration:none}
main{padding:8px 32px 40px;max-width:1280px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:18px 0;padding:16px 20px}
section h2{margin:0 0 6px;font-size:18px}
.note{color:#475569;font-size:13px;margin:0 0 8px}
.na{color:#92400e;background:#fffbeb;border:1px solid #fde68a;border-radius:6px;padding:8px 12px;font-size:14px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
table{border-collapse:collapse;font-size:13px;margin-top:10px}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 10px;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
table.wide{display:block;overflow-x:auto;max-width:100%%}
""" % {"font": FONT}

SCRIPT = """
const specs = JSON.parse(document.getElementById('chart-specs').textContent);
Promise.all(Object.entries(specs).map(([id, fig]) =>
  Plotly.newPlot(id, fig.data, fig.layout, {displaylogo: false, responsive: true})))
  .then(() => { document.body.dataset.ready = '1'; })
  .catch((e) => { console.error('chart failed', e); document.body.dataset.ready = 'error'; });
"""


def _json_for_script(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str).replace("</", "<\\/")


def render(build: PublishedBuild, sections: list[Section], lang: str) -> str:
    specs = {c.id: json.loads(pio.to_json(c.figure, validate=False)) for s in sections for c in s.charts}
    data = {"build_id": build.build_id, "lang": lang,
            "sections": {s.key: (s.data if s.unavailable is None else {"unavailable": s.unavailable})
                         for s in sections}}
    published = build.published_at.strftime("%Y-%m-%d %H:%M UTC") if build.published_at else "?"
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in sections)
    body = "\n".join(_section_html(s, lang) for s in sections)
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t(lang, "title"))} · {html.escape(build.build_id)}</title>
<style>{CSS}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header><h1>{html.escape(t(lang, "title"))}</h1>
<p>{html.escape(t(lang, "build"))} {html.escape(build.build_id)} · {html.escape(t(lang, "published"))} {published} ·
{len(build.marts)} {html.escape(t(lang, "marts"))} · {html.escape(t(lang, "generated"))} funnel.duckdb</p></header>
<nav>{nav}</nav>
<main>
{body}
</main>
<script type="application/json" id="report-data">{_json_for_script(data)}</script>
<script type="application/json" id="chart-specs">{_json_for_script(specs)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _section_html(s: Section, lang: str) -> str:
    parts = [f'<section id="{s.key}"><h2>{html.escape(s.title)}</h2>']
    if s.unavailable is not None:
        parts.append(f'<p class="na">{html.escape(t(lang, "not_available"))}: {html.escape(s.unavailable)}</p>')
    else:
        if s.note:
            parts.append(f'<p class="note">{html.escape(s.note)}</p>')
        if s.charts:
            parts.append('<div class="charts">' + "".join(f'<div class="chart" id="{c.id}"></div>' for c in s.charts)
                         + "</div>")
        parts.extend(s.tables)
    parts.append("</section>")
    return "".join(parts)
