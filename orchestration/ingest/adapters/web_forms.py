"""Web-form response exports: Tally, Typeform and Google Forms.

Each vendor names its id and timestamp columns differently; the question columns are whatever the
form asked. Contact fields are found by their question title (English and Chinese), hidden fields
carry UTM parameters and click ids, and when the UTM columns are blank the parameters are read from
the landing-page URL's query string. Every other question is kept as JSON in ``answers``.
Delivery mode: a cumulative export — a newer file of the same path replaces the older one, and
staging keeps one row per submission id.

Google Forms writes ``Timestamp`` in the spreadsheet's locale and time zone: ``3/5/2024 14:03:11``
(en-US, month first), ``05/03/2024 14:03:11`` (most other locales, day first), with the header
itself translated (``Marca temporal``, ``Horodateur``, ``Zeitstempel``…). The order is decided
from the sample: a first number above 12 means day first, a second above 12 month first;
otherwise the header's language decides. The sheet's time zone is not in the file: timestamps
load as written (treated as UTC) — note it when the sheet is not set to UTC.
"""

from __future__ import annotations

import re

from orchestration.ingest.adapters.base import Col, ReadPlan, has_all, parse_line, ref, sniff_delimiter
from orchestration.ingest.files import FileSample
from orchestration.sql import quote_literal

# vendor -> (id column, timestamp column, timestamp formats or None, timezone of the timestamps)
VENDORS = {
    "tally": ("Submission ID", "Submitted at", None, "UTC", ("Submission ID", "Submitted at")),
    "typeform": ("#", "Submit Date (UTC)", None, "UTC", ("#", "Submit Date (UTC)")),
    "google_forms": (None, "Timestamp", None, "UTC", ("Timestamp",)),
}
# Google Forms' "Timestamp" header in the sheet's language; English sheets are mostly en-US.
GOOGLE_TIMESTAMP = {"timestamp": "en", "marca temporal": "es", "horodateur": "fr", "zeitstempel": "de",
                    "carimbo de data/hora": "pt", "informazioni cronologiche": "it", "tijdstempel": "nl",
                    "时间戳记": "zh", "タイムスタンプ": "ja"}
MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S")
ISO_LIKE = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{4}")

CONTACT_PATTERNS = {
    "email": re.compile(r"e-?mail|correo|courriel|邮箱|电子邮件", re.I),
    "phone": re.compile(r"phone|mobile|\btel\b|telephone|tel[eé]fono|t[eé]l[eé]phone|telefon|电话|手机", re.I),
    "company": re.compile(r"company|organi[sz]ation|business name|empresa|entreprise|soci[eé]t[eé]|unternehmen|"
                          r"公司|单位|企业", re.I),
    "name": re.compile(r"^(full |your |first |contact )?name\b|\byour (full )?name\b|^(nombre|nom|vorname)\b|姓名|联系人|称呼", re.I),
}
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
CLICK_IDS = ("gclid", "fbclid", "msclkid", "click_id", "ttclid", "li_fat_id", "gbraid", "wbraid")
URL_CLICK_IDS = ("gclid", "fbclid", "msclkid", "ttclid", "li_fat_id", "gbraid", "wbraid")
LANDING = ("landing_page", "landing page", "page url", "url", "page", "source url")
REFERRER = ("referrer", "referer", "ref", "referring url")
METADATA = {"respondent id", "start date (utc)", "stage date (utc)", "network id", "tags", "ending", "token",
            "response type", "submission id", "submitted at", "#", "submit date (utc)", *GOOGLE_TIMESTAMP}


def _google_formats(lines: list[str], ts_index: int, delimiter: str, lang: str) -> tuple[str, ...]:
    """Day-first or month-first, decided by the sample's timestamps, else by the sheet's language."""
    day_first = month_first = False
    for line in lines[1:]:
        fields = parse_line(line, delimiter)
        m = _DMY.match(fields[ts_index]) if len(fields) > ts_index else None
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if day_first == month_first:  # no evidence (or contradictory): the language decides
        day_first = lang != "en"
    return (DAY_FIRST if day_first else MONTH_FIRST) + ISO_LIKE


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {n.lower(): n for n in names}
    return next((lower[c] for c in candidates if c in lower), None)


def _url_param(landing: str | None, param: str) -> str:
    if landing is None:
        return "null"
    pattern = quote_literal(f"[?&]{param}=([^&#]*)")
    return f"url_decode(nullif(regexp_extract({ref(landing)}, {pattern}, 1), ''))"


class WebFormAdapter:
    name = "web_form"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        if not sample.lines:
            return None
        delimiter = sniff_delimiter(sample.lines[0])
        fields = [f.strip().lstrip("\ufeff") for f in parse_line(sample.lines[0], delimiter)]
        for vendor, (id_col, ts_col, formats, tz, signature) in VENDORS.items():
            if vendor == "google_forms":
                ts_col = next((f for f in fields if f.lower() in GOOGLE_TIMESTAMP), None)
                if ts_col is None or not any(CONTACT_PATTERNS["email"].search(f) for f in fields):
                    continue
                formats = _google_formats(sample.lines, fields.index(ts_col), delimiter, GOOGLE_TIMESTAMP[ts_col.lower()])
            elif not has_all(fields, *signature):
                continue
            return self._plan(vendor, fields, id_col, ts_col, formats, tz, delimiter)
        return None

    def _plan(self, vendor, fields, id_col, ts_col, formats, tz, delimiter) -> ReadPlan:
        used: set[str] = set()
        contact: dict[str, str | None] = {}
        for key, pattern in CONTACT_PATTERNS.items():
            match = next((f for f in fields if f not in used and f.lower() not in METADATA and pattern.search(f)), None)
            contact[key] = match
            if match:
                used.add(match)
        landing = _find(fields, LANDING)
        referrer = _find(fields, REFERRER)
        clicks = [c for c in (_find(fields, (k,)) for k in CLICK_IDS) if c]
        utm_cols = {u: _find(fields, (u,)) for u in UTM}
        used |= {c for c in [landing, referrer, *clicks, *utm_cols.values()] if c}
        if id_col:
            submission_id = Col(id_col, "id", required=True)
        else:  # Google Forms has no response id: timestamp + email identify a response
            submission_id = Col(expr=f"md5(concat_ws('|', {ref(ts_col)}, {ref(contact['email'])}))", required=True)
        columns = {
            "submission_id": submission_id,
            "submitted_at": Col(ts_col, "timestamp", formats=formats, timezone=tz if tz != "UTC" else None, required=True),
            "form_name": Col(const=vendor),
            "email": Col(contact["email"]) if contact["email"] else Col(),
            "phone": Col(contact["phone"]) if contact["phone"] else Col(),
            "name": Col(contact["name"]) if contact["name"] else Col(),
            "company": Col(contact["company"]) if contact["company"] else Col(),
            # hidden click-id fields first, then the ids in the landing page's query string
            "click_id": Col(expr="coalesce(" + ", ".join(
                [f"fw_text({ref(c)})" for c in clicks] + [_url_param(landing, k) for k in URL_CLICK_IDS]) + ")"),
            "landing_page": Col(landing) if landing else Col(),
            "referrer": Col(referrer) if referrer else Col(),
        }
        for u, col in utm_cols.items():
            from_url = _url_param(landing, u)
            columns[u] = Col(expr=f"coalesce(fw_text({ref(col)}), {from_url})") if col else Col(expr=from_url)
        questions = [f for f in fields if f not in used and f.lower() not in METADATA and f not in (id_col, ts_col) and f]
        if questions:
            pairs = ", ".join(f"{quote_literal(q)}, fw_text({ref(q)})" for q in questions)
            columns["answers"] = Col(expr=f"json_object({pairs})::varchar")
        return ReadPlan(adapter=f"{self.name}/{vendor}", source_system=vendor, target_table="form_submissions",
                        columns=columns, delimiter=delimiter, delivery="snapshot")
