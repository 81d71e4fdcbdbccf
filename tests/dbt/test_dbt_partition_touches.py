"""int_leads__touches night by night, through the inputs other than the lead records: form
submissions (matched to a lead by email), responded campaign memberships and their campaign.

The model finds its changed leads from narrow hashes of each touch taken before the joins that
give it its canonical lead (dbt_project/macros/partitions.sql, partition_digests_of_contributions).
A touch field left out of that hash would leave its lead stale on the night it changes, and no
lead-only delivery would show it. Hand-written deliveries (expected values are delivery facts):

- night 1: leads L1, L2, L3 (partition_nights) and L4; campaign C1 "Spring"; L3 responded to C1;
  S1 submitted by L1's email with utm medium cpc;
- night 2: S1 re-delivered with utm medium email (one field of L1's touch); S2 submitted by L2's
  email (a new touch of L2); C1 re-delivered renamed "Autumn" (one field of L3's campaign touch);
  nothing new for L4.

Checked: night 2 equals a build of both nights from scratch (every column, digests too); L1, L2 and
L3 are recomputed (a row altered by hand after night 1 is repaired), L4 is not (it stays altered).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from dbt_harness import DbtBuild, connect, load_raw
from partition_nights import NIGHT_1, NIGHT_1_LEADS, NIGHT_2, TOUCHES, crm_lead, dbt_night


def _lineage(load: str, night: datetime, row: int) -> dict:
    return {"_source_system": "test", "_source_file": f"{load}/file.csv", "_source_row": row,
            "_load_id": load, "_loaded_at": night}


def _campaign(name: str, load: str, night: datetime) -> dict:
    return {"campaign_id": "C1", "name": name, "channel": "Webinar", "status": "Active", "is_deleted": False,
            **_lineage(load, night, 1)}


def _submission(submission_id: str, email: str, medium: str, load: str, night: datetime, row: int) -> dict:
    return {"submission_id": submission_id, "email": email, "form_name": "Demo", "submitted_at": NIGHT_1,
            "utm_source": "google", "utm_medium": medium, **_lineage(load, night, row)}


NIGHT_1_ROWS = {
    "crm_leads": NIGHT_1_LEADS + [crm_lead("L4", "l4@example.com", datetime(2024, 1, 7), "Open", "load-1", NIGHT_1, 4)],
    "crm_campaigns": [_campaign("Spring", "load-1", NIGHT_1)],
    "crm_campaign_members": [{"member_id": "M1", "campaign_id": "C1", "lead_id": "L3", "status": "Responded",
                              "has_responded": True, "created_at": datetime(2024, 2, 1),
                              "responded_at": datetime(2024, 2, 2), **_lineage("load-1", NIGHT_1, 1)}],
    "form_submissions": [_submission("S1", "l1@example.com", "cpc", "load-1", NIGHT_1, 1)],
}
NIGHT_2_ROWS = {
    "crm_campaigns": [_campaign("Autumn", "load-2", NIGHT_2)],
    "form_submissions": [_submission("S1", "l1@example.com", "email", "load-2", NIGHT_2, 1),
                         _submission("S2", "l2@example.com", "email", "load-2", NIGHT_2, 2)],
}
TOUCH_COLUMNS = "touch_id, lead_id, touch_type, campaign_name, utm_medium, lead_source"


def _touches(build: DbtBuild) -> set[tuple]:
    return set(build.query(f"select {TOUCH_COLUMNS} from {TOUCHES}"))


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict[str, DbtBuild]:
    root = tmp_path_factory.mktemp("touches")
    builds = {name: DbtBuild(warehouse=root / f"{name}.duckdb", target_path=root / f"target_{name}")
              for name in ("nightly", "altered", "scratch")}
    for name in ("nightly", "altered"):
        load_raw(builds[name].warehouse, NIGHT_1_ROWS)
        dbt_night(builds[name], night=NIGHT_1)
    with connect(builds["altered"].warehouse) as con:
        con.execute(f"update {TOUCHES} set lead_source = 'altered'")
    for name in ("nightly", "altered"):
        load_raw(builds[name].warehouse, NIGHT_2_ROWS)
        dbt_night(builds[name], night=NIGHT_2)
    load_raw(builds["scratch"].warehouse, NIGHT_1_ROWS)
    load_raw(builds["scratch"].warehouse, NIGHT_2_ROWS)
    dbt_night(builds["scratch"], night=NIGHT_2)
    return builds


def test_night_two_equals_a_build_of_both_nights_from_scratch(nights):
    nightly = sorted(nights["nightly"].query(f"select * from {TOUCHES}"), key=repr)
    assert nightly == sorted(nights["scratch"].query(f"select * from {TOUCHES}"), key=repr)


def test_the_re_delivered_and_new_submissions_and_the_renamed_campaign_reach_their_leads(nights):
    assert _touches(nights["nightly"]) == {
        ("lead_record:L1", "L1", "lead_record", None, None, None),
        ("lead_record:L2", "L2", "lead_record", None, None, None),
        ("lead_record:L3", "L3", "lead_record", None, None, None),
        ("lead_record:L4", "L4", "lead_record", None, None, None),
        ("form_submission:S1", "L1", "form_submission", None, "email", None),
        ("form_submission:S2", "L2", "form_submission", None, "email", None),
        ("campaign_member:M1", "L3", "campaign_member", "Autumn", None, None),
    }


def test_only_the_leads_whose_touches_changed_are_recomputed(nights):
    altered = nights["altered"].query(f"select distinct lead_id from {TOUCHES} where lead_source = 'altered'")
    assert altered == [("L4",)]
