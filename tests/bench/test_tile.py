"""bench/tile.py makes L from M: k copies whose records never collide, so every count is k times M's.

The expected values come from the base folder, counted by the benchmark's floor query and by the
csv module here, not from the tiler.
"""

from __future__ import annotations

import csv
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from orchestration.generate import generate
from orchestration.generate.ids import NULL_ID, case_safe_suffix

BENCH = Path(__file__).resolve().parents[2] / "bench"
COPIES = 3


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiled(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tile")
    generate(root / "base", leads=400, seed=11)
    _load("tile").tile(root / "base", root / "tiled", COPIES)
    return root / "base", root / "tiled"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_floor_funnel_is_k_times_the_base(tiled):
    base, out = tiled
    floor = _load("contenders").run_floor
    before, after = floor(base), floor(out)
    assert before["cohort"] and after["cohort"].keys() == before["cohort"].keys()
    assert after["cohort"] == {k: COPIES * n for k, n in before["cohort"].items()}
    assert after["conversion"] == {k: [COPIES * n, COPIES * m] for k, (n, m) in before["conversion"].items()}


@pytest.mark.parametrize("obj", ["Lead", "Opportunity", "OpportunityHistory", "Account", "CampaignMember", "Task"])
def test_record_ids_are_unique_valid_and_copy_zero_is_the_base(tiled, obj):
    base, out = tiled
    base_rows, rows = _rows(base / f"salesforce/{obj}.csv"), _rows(out / f"salesforce/{obj}.csv")
    assert len(rows) == COPIES * len(base_rows)
    assert rows[: len(base_rows)] == base_rows
    ids = [r["Id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(case_safe_suffix(i[:15]) == i[15:] for i in ids)


def test_lookups_point_inside_their_own_copy(tiled):
    base, out = tiled
    leads = _rows(out / "salesforce/Lead.csv")
    opps = {r["Id"] for r in _rows(out / "salesforce/Opportunity.csv")}
    n = len(leads) // COPIES
    converted = 0
    for i, lead in enumerate(leads):
        copy, opp = i // n, lead["ConvertedOpportunityId"]
        if opp not in ("", NULL_ID):
            converted += 1
            assert opp in opps and opp[5] == str(copy) == lead["Id"][5]
    assert converted > 0
    history = _rows(out / "salesforce/OpportunityHistory.csv")
    assert {h["OpportunityId"] for h in history} <= opps
    # users and campaigns are shared, not copied
    users = {r["Id"] for r in _rows(out / "salesforce/User.csv")}
    assert {lead["OwnerId"] for lead in leads} <= users


def test_emails_phones_and_submission_ids_differ_per_copy(tiled):
    base, out = tiled
    base_subs = _rows(base / "forms/tally_demo_request.csv")
    subs = _rows(out / "forms/tally_demo_request.csv")
    assert len(subs) == COPIES * len(base_subs)
    assert Counter(s["Submission ID"] for s in subs).most_common(1)[0][1] == 1
    b = base_subs[0]
    copy2 = subs[2 * len(base_subs)]
    if b["Work email"].strip():
        assert copy2["Work email"].strip() == "t2." + b["Work email"].strip()
    leads, base_leads = _rows(out / "salesforce/Lead.csv"), _rows(base / "salesforce/Lead.csv")
    phone = next(r["Phone"] for r in base_leads if r["Phone"])
    shifted = next(r["Phone"] for r in leads[len(base_leads):] if r["Phone"])
    assert shifted[:-1] == phone[:-1] and int(shifted[-1]) == (int(phone[-1]) + 1) % 10
    emails = Counter(r["Email"].strip().lower() for r in leads if r["Email"].strip())
    base_emails = Counter(r["Email"].strip().lower() for r in base_leads if r["Email"].strip())
    assert sorted(emails.values()) == sorted(list(base_emails.values()) * COPIES)
