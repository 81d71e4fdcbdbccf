"""History for a CRM that exports only current state: the opportunity snapshot, night by night.

Two nightly deliveries of one opportunity without any stage-history file: on 2024-03-02 it is in
Prospecting (discovery), on 2024-03-20 in Negotiation/Review. Without the snapshot the warehouse
could only say "created, now in negotiation"; with it, fct_stage_events dates negotiation at the
night it was first seen (fct_stage_events then fills the skipped proposal stage, as for any
source). Expected values are the delivery facts above, not the model's output.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from dbt_harness import DbtBuild, load_raw, run_dbt

CREATED = datetime(2024, 3, 1, 9, 0)
NIGHT_1 = datetime(2024, 3, 2, 2, 0)
NIGHT_2 = datetime(2024, 3, 20, 2, 0)


def _opportunity(stage: str, night: datetime, load: str) -> dict:
    return {
        "opportunity_id": "X1", "account_id": None, "lead_id": None, "name": "Deal X1",
        "created_at": CREATED, "stage": stage, "amount": 10000.0, "currency": "usd", "probability": 50.0,
        "close_date": None, "is_closed": None, "is_won": None, "loss_reason": None, "lead_source": "Web",
        "owner_id": "u1", "_source_system": "salesforce_report", "_source_file": "opportunities.csv",
        "_source_row": 1, "_load_id": load, "_loaded_at": night,
    }


def _build(warehouse, target, night: datetime) -> None:
    proc = run_dbt(["build", "--select", "+int_stage_events__opportunities", "--resource-type", "seed", "snapshot",
                    "model"], warehouse=warehouse, target_path=target, as_of=night.isoformat(sep=" "))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory) -> DbtBuild:
    root = tmp_path_factory.mktemp("snapshot_history")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    load_raw(warehouse, {"crm_opportunities": [_opportunity("Prospecting", NIGHT_1, "load-1")]})
    _build(warehouse, target, NIGHT_1)
    # the next night's delivery: the same opportunity, further along
    load_raw(warehouse, {"crm_opportunities": [_opportunity("Negotiation/Review", NIGHT_2, "load-2")]})
    _build(warehouse, target, NIGHT_2)
    return DbtBuild(warehouse=warehouse, target_path=target)


def test_the_snapshot_holds_one_version_per_stage_seen(two_nights):
    rows = two_nights.query("select stage, dbt_valid_from, dbt_valid_to from snapshots.snap_crm__opportunities "
                            "order by dbt_valid_from")
    assert rows == [("Prospecting", NIGHT_1, NIGHT_2), ("Negotiation/Review", NIGHT_2, None)]


def test_the_stage_seen_on_the_second_night_is_dated_that_night(two_nights):
    events = two_nights.query(
        "select stage_key, entered_at, event_source from intermediate.int_stage_events__opportunities "
        "where entity_id = 'X1' order by entered_at, source_sequence")
    assert events == [
        ("discovery", CREATED, "opportunity_created"),
        ("negotiation", NIGHT_2, "snapshot"),
    ]
