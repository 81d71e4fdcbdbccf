"""Web-form exports: Typeform, Google Forms (two sheet locales) and Tally, with UTMs and click ids."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlparse

from tests.adapters.adapter_helpers import assert_identity, manifest, read_dicts
from tests.conftest import FIXTURES

TYPEFORM = "typeform/responses-Z7kq3PLx-2024-03-08.csv"
GOOGLE_US = "google_forms/Contact us (Responses) - Form Responses 1.csv"
GOOGLE_ES = "google_forms/Solicitud de demo (respuestas) - Respuestas de formulario 1.csv"
TALLY = "tally/tally_demo-request_submissions.csv"
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
CLICK_IDS = ("gclid", "fbclid", "msclkid")


def _expected_attribution(row: dict[str, str], landing_key: str) -> dict[str, str | None]:
    """Hidden fields win; blanks fall back to the landing page's query string (plain urllib)."""
    query = parse_qs(urlparse(row.get(landing_key, "")).query)
    out = {u: row.get(u) or (query.get(u) or [None])[0] for u in UTM}
    out["click_id"] = next((row.get(c) for c in CLICK_IDS if row.get(c)), None) or \
        next((query[c][0] for c in CLICK_IDS if c in query), None)
    return out


def _submissions(con, form: str) -> dict[str, dict]:
    cols = ["submission_id", "submitted_at", "email", "name", "company", "phone", *UTM, "click_id", "landing_page", "answers"]
    rows = con.execute(f"select {', '.join(cols)} from raw.form_submissions where form_name = ?", [form]).fetchall()
    return {r[0]: dict(zip(cols, r)) for r in rows}


def test_typeform_questions_hidden_fields_and_partial_responses(ingest, warehouse):
    report = ingest(TYPEFORM)
    assert not report.errors
    rows = read_dicts(FIXTURES / TYPEFORM)
    complete = [r for r in rows if r["Submit Date (UTC)"]]
    got = _submissions(warehouse, "typeform")
    assert set(got) == {r["#"] for r in complete}
    for r in complete:
        g = got[r["#"]]
        assert g["submitted_at"] == datetime.fromisoformat(r["Submit Date (UTC)"])
        assert (g["email"], g["name"], g["company"]) == (r["What's your work email?"], r["What's your name?"], r["Company name"])
        assert {k: g[k] for k in (*UTM, "click_id")} == _expected_attribution(r, "landing_page")
        assert "How many people are on your team?" in g["answers"]
    # a partial response has no submit date: kept in quarantine with the reason, not dropped
    m = manifest(warehouse, "responses-Z7kq3PLx-2024-03-08.csv")["form_submissions"]
    assert (m["rows_read"], m["rows_quarantined"]) == (len(rows), len(rows) - len(complete))
    assert warehouse.execute("select reason from raw._quarantine").fetchall() == [("Submit Date (UTC) is empty",)]


def test_tally_utms_and_click_ids_from_the_landing_page(ingest, warehouse):
    report = ingest(TALLY)
    assert not report.errors
    rows = read_dicts(FIXTURES / TALLY)
    got = _submissions(warehouse, "tally")
    assert len(got) == len(rows)
    for r in rows:
        g = got[r["Submission ID"]]
        assert g["submitted_at"] == datetime.fromisoformat(r["Submitted at"])
        assert {k: g[k] for k in (*UTM, "click_id")} == _expected_attribution(r, "landing_page")
    assert got["mVxQ2k"]["utm_term"] == "bi tool"  # URL-decoded
    assert got["nB7tRw"]["click_id"].startswith("IwAR")  # fbclid from the query string
    sources = [g["utm_source"] for g in got.values()]
    assert sources.count(None) == sum(1 for r in rows if not _expected_attribution(r, "landing_page")["utm_source"])


def test_google_forms_us_locale_month_first(ingest, warehouse):
    ingest(GOOGLE_US)
    rows = read_dicts(FIXTURES / GOOGLE_US)
    got = sorted((g["submitted_at"], g["email"]) for g in _submissions(warehouse, "google_forms").values())
    expected = sorted((datetime.strptime(r["Timestamp"], "%m/%d/%Y %H:%M:%S"), r["Email Address"]) for r in rows)
    assert got == expected
    # the same person twice is two submissions (ids from timestamp + email)
    assert sum(1 for _, e in got if e == "dana@harborview.org") == 2


def test_google_forms_spanish_locale_day_first_and_translated_header(ingest, warehouse):
    report = ingest(GOOGLE_ES)
    assert not report.errors
    rows = read_dicts(FIXTURES / GOOGLE_ES)
    got = {g["email"]: g for g in _submissions(warehouse, "google_forms").values()}
    for r in rows:
        g = got[r["Dirección de correo electrónico"]]
        assert g["submitted_at"] == datetime.strptime(r["Marca temporal"], "%d/%m/%Y %H:%M:%S")
        assert (g["name"], g["company"]) == (r["Nombre completo"], r["Empresa"])
    assert got["ana.lopez@azulejos.es"]["submitted_at"] == datetime(2024, 3, 4, 10, 15)  # 4 March, not 3 April
    assert_identity(warehouse)
