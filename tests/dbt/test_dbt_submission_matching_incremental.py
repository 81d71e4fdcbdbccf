"""int_submissions__matched_to_leads night by night: a night re-matches only the submissions whose
answer can have changed, and ends with what a build of every delivery from scratch gives.

Hand-written deliveries (the expected matches are delivery facts: email first, then phone, the
lead created closest to the submission; duplicates merged into the earlier lead of the same email
and company):

- night 1: leads L1 (a@, Acme, created 01-10), L2 (b@, phone …102, 02-01), L3 (c@, 01-20), L7 (g@,
  Eta, phone …107, 02-10); submissions S1 (a@, 01-12 10:00) -> L1, S2 (phone …102 only) -> L2,
  S3 (c@) -> L3, S4 (z@) -> nothing, S7 (s7@, phone …107) -> L7 by phone.
- night 2: L4 (a@, another company, created 01-12 09:00: closer to S1 than L1, not a duplicate of
  it) -> S1 matches L4; L2 re-delivered deleted -> S2 matches nothing; L3 re-delivered with email
  c2@ -> S3 matches nothing, and a new submission S5 (c2@) matches L3; L8 (g@, Eta, created 02-01)
  makes L7 its duplicate -> S7 still matched to the CRM lead L7, now under the canonical lead L8
  (neither S7's email nor its phone is L8's: only the merge can tell). S4 shares nothing with a new
  lead: its stored row, altered by hand, must stay as it was.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from dbt_harness import DbtBuild, build_night, connect, load_raw

NIGHT_1 = datetime(2024, 3, 2, 2, 0)
NIGHT_2 = datetime(2024, 3, 3, 2, 0)
MODEL = "intermediate.int_submissions__matched_to_leads"
SELECTION = ["+int_submissions__matched_to_leads"]
COLUMNS = "submission_id, lead_id, matched_crm_lead_id, match_method, matched_lead_created_at"


def _lineage(load: str, night: datetime, row: int) -> dict:
    return {"_source_system": "test", "_source_file": f"{load}/file.csv", "_source_row": row,
            "_load_id": load, "_loaded_at": night}


def _lead(lead_id: str, email: str, company: str, created: datetime, load: str, night: datetime, row: int,
          phone: str | None = None, deleted: bool = False) -> dict:
    return {"lead_id": lead_id, "email": email, "company": company, "phone": phone, "country": "US",
            "status": "Open", "created_at": created, "is_deleted": deleted, **_lineage(load, night, row)}


def _submission(submission_id: str, at: datetime, load: str, night: datetime, row: int, email: str | None,
                phone: str | None = None) -> dict:
    return {"submission_id": submission_id, "email": email, "phone": phone, "form_name": "Demo",
            "submitted_at": at, **_lineage(load, night, row)}


NIGHT_1_ROWS = {
    "crm_leads": [
        _lead("L1", "a@x.com", "Acme", datetime(2024, 1, 10), "load-1", NIGHT_1, 1),
        _lead("L2", "b@x.com", "Beta", datetime(2024, 2, 1), "load-1", NIGHT_1, 2, phone="+1 415 555 0102"),
        _lead("L3", "c@x.com", "Gamma", datetime(2024, 1, 20), "load-1", NIGHT_1, 3),
        _lead("L7", "g@x.com", "Eta", datetime(2024, 2, 10), "load-1", NIGHT_1, 4, phone="+1 415 555 0107")],
    "form_submissions": [
        _submission("S1", datetime(2024, 1, 12, 10), "load-1", NIGHT_1, 1, "a@x.com"),
        _submission("S2", datetime(2024, 2, 2), "load-1", NIGHT_1, 2, None, phone="+1 415 555 0102"),
        _submission("S3", datetime(2024, 3, 1), "load-1", NIGHT_1, 3, "c@x.com"),
        _submission("S4", datetime(2024, 3, 1), "load-1", NIGHT_1, 4, "z@x.com"),
        _submission("S7", datetime(2024, 2, 11), "load-1", NIGHT_1, 5, "s7@x.com", phone="+1 415 555 0107")],
}
NIGHT_2_ROWS = {
    "crm_leads": [
        _lead("L4", "a@x.com", "Other", datetime(2024, 1, 12, 9), "load-2", NIGHT_2, 1),
        _lead("L2", "b@x.com", "Beta", datetime(2024, 2, 1), "load-2", NIGHT_2, 2, phone="+1 415 555 0102",
              deleted=True),
        _lead("L3", "c2@x.com", "Gamma", datetime(2024, 1, 20), "load-2", NIGHT_2, 3),
        _lead("L8", "g@x.com", "Eta", datetime(2024, 2, 1), "load-2", NIGHT_2, 4)],
    "form_submissions": [_submission("S5", datetime(2024, 3, 2), "load-2", NIGHT_2, 1, "c2@x.com")],
}


def _matches(build: DbtBuild) -> dict[str, tuple]:
    """submission -> (canonical lead, matched CRM lead, method)."""
    return {s: (lead, crm_lead, method) for s, lead, crm_lead, method in build.query(
        f"select submission_id, lead_id, matched_crm_lead_id, match_method from {MODEL}")}


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("submission_matching")
    nightly = DbtBuild(warehouse=root / "nightly.duckdb", target_path=root / "target_nightly")
    scratch = DbtBuild(warehouse=root / "scratch.duckdb", target_path=root / "target_scratch")
    load_raw(nightly.warehouse, NIGHT_1_ROWS)
    build_night(nightly, night=NIGHT_1, select=SELECTION)
    after_night_1 = _matches(nightly)
    with connect(nightly.warehouse) as con:
        con.execute(f"update {MODEL} set match_method = 'altered' where submission_id = 'S4'")
    load_raw(nightly.warehouse, NIGHT_2_ROWS)
    build_night(nightly, night=NIGHT_2, select=SELECTION)
    load_raw(scratch.warehouse, NIGHT_1_ROWS)
    load_raw(scratch.warehouse, NIGHT_2_ROWS)
    build_night(scratch, night=NIGHT_2, select=SELECTION)
    return {"nightly": nightly, "scratch": scratch, "after_night_1": after_night_1}


def test_the_first_night_matches_by_email_then_phone(nights):
    assert nights["after_night_1"] == {
        "S1": ("L1", "L1", "email"), "S2": ("L2", "L2", "phone"), "S3": ("L3", "L3", "email"),
        "S4": (None, None, None), "S7": ("L7", "L7", "phone")}


def test_the_second_night_re_matches_what_the_new_leads_and_merges_change(nights):
    assert _matches(nights["nightly"]) == {
        "S1": ("L4", "L4", "email"),  # a closer lead with its email arrived
        "S2": (None, None, None),  # its lead was deleted
        "S3": (None, None, None),  # its lead's email changed
        "S4": (None, None, "altered"),  # nothing of it changed: not re-matched
        "S5": ("L3", "L3", "email"),  # new, matches the changed email
        "S7": ("L8", "L7", "phone")}  # its lead is now L8's duplicate


def test_the_second_night_equals_a_build_of_both_deliveries_from_scratch(nights):
    def rows(build: DbtBuild) -> set[tuple]:
        return set(build.query(f"select {COLUMNS}, _loaded_at from {MODEL} where submission_id <> 'S4'"))

    assert rows(nights["nightly"]) == rows(nights["scratch"])
    assert nights["scratch"].query(f"select match_method from {MODEL} where submission_id = 'S4'") == [(None,)]
    # the newest lead delivery seen, for the next night
    assert nights["nightly"].query(f"select max(_leads_loaded_at) from {MODEL}") == [(NIGHT_2,)]


def test_a_table_stored_without_the_change_detection_columns_is_matched_whole(nights, tmp_path):
    """A warehouse built by the version that rebuilt the table every night: the next night adds
    _loaded_at and _leads_loaded_at and re-matches every submission (S4's altered row included)."""
    upgraded = DbtBuild(warehouse=tmp_path / "nightly.duckdb", target_path=tmp_path / "target")
    shutil.copyfile(nights["nightly"].warehouse, upgraded.warehouse)
    with connect(upgraded.warehouse) as con:
        con.execute(f"alter table {MODEL} drop column _leads_loaded_at")
        con.execute(f"alter table {MODEL} drop column _loaded_at")
    build_night(upgraded, night=NIGHT_2, select=["int_submissions__matched_to_leads"])
    scratch = f"select {COLUMNS}, _loaded_at, _leads_loaded_at from {MODEL}"
    assert set(upgraded.query(scratch)) == set(nights["scratch"].query(scratch))
