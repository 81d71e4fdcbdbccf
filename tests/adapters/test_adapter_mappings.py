"""YAML mappings: shipped Maven CRM and Chinese CRM mappings, the search path, and validation."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from orchestration.ingest.mapping import SHIPPED_DIR, load_mapping_file
from orchestration.ingest.mapping_schema import MappingError
from orchestration.ingest.run import ingest_landing
from tests.adapters.adapter_helpers import assert_identity, manifest, number, read_dicts
from tests.conftest import FIXTURES

MAVEN = ["maven_crm/sales_pipeline.csv", "maven_crm/sales_teams.csv", "maven_crm/accounts.csv",
         "maven_crm/products.csv", "maven_crm/data_dictionary.csv"]
CN = "cn_crm_xiaoshouyi/商机列表_20240310.csv"


def test_maven_crm_loads_through_its_mapping_alone(ingest, warehouse):
    report = ingest(*MAVEN, adapters=[load_mapping_file(SHIPPED_DIR / "maven_crm.yml")])
    assert not report.errors
    pipeline = read_dicts(FIXTURES / "maven_crm/sales_pipeline.csv")
    won_per_agent = Counter(r["sales_agent"] for r in pipeline if r["deal_stage"] == "Won")
    got = dict(warehouse.execute(
        "select owner_id, count(*) from raw.crm_opportunities where is_won group by 1").fetchall())
    assert got == dict(won_per_agent)
    # deals without engage_date (Prospecting) have no creation time: quarantined with the reason, not lost
    no_date = sum(1 for r in pipeline if not r["engage_date"])
    m = manifest(warehouse, "sales_pipeline.csv")["crm_opportunities"]
    assert (m["rows_read"], m["rows_loaded"], m["rows_quarantined"]) == (len(pipeline), len(pipeline) - no_date, no_date)
    reasons = warehouse.execute("select distinct reason from raw._quarantine").fetchall()
    assert reasons == [("engage_date is empty",)]
    won_value = sum(float(r["close_value"]) for r in pipeline if r["deal_stage"] == "Won")
    assert warehouse.execute("select sum(amount) from raw.crm_opportunities where is_won").fetchone()[0] == pytest.approx(won_value)
    assert warehouse.execute("select count(*) from raw.crm_opportunities where is_closed and not is_won").fetchone()[0] == \
        sum(1 for r in pipeline if r["deal_stage"] == "Lost")
    accounts = read_dicts(FIXTURES / "maven_crm/accounts.csv")
    revenue = warehouse.execute("select sum(annual_revenue) from raw.crm_accounts").fetchone()[0]
    assert revenue == pytest.approx(sum(float(a["revenue"]) for a in accounts) * 1e6)
    teams = read_dicts(FIXTURES / "maven_crm/sales_teams.csv")
    assert warehouse.execute("select count(*), count(distinct manager_id) from raw.crm_users").fetchone() == \
        (len(teams), len({t["manager"] for t in teams}))
    ignored = {r.source_file: r.message for r in report.results if r.status == "ignored"}
    assert set(ignored) == {"products.csv", "data_dictionary.csv"} and "product" in ignored["products.csv"]
    assert_identity(warehouse)


def test_shipped_mappings_are_picked_up_by_default(ingest, warehouse):
    report = ingest("maven_crm/sales_teams.csv", CN)
    assert not report.errors
    assert {r.adapter.split("/")[0] for r in report.loaded} == {"mapping:maven_crm", "mapping:cn_crm_xiaoshouyi"}


def test_chinese_crm_gbk_epoch_millis_and_two_tables(ingest, warehouse):
    report = ingest(CN)
    assert not report.errors
    rows = read_dicts(FIXTURES / CN, encoding="gbk")
    m = manifest(warehouse, "商机列表_20240310.csv")
    assert set(m) == {"crm_leads", "crm_opportunities"} and m["crm_leads"]["encoding"] == "gb18030"
    opps = {r[0]: r[1:] for r in warehouse.execute(
        "select opportunity_id, account_id, stage, probability, amount, currency, created_at, close_date, loss_reason, owner_id "
        "from raw.crm_opportunities").fetchall()}
    assert len(opps) == len(rows)
    for r in rows:
        account, stage, prob, amount, currency, created, close, loss, owner = opps[r["线索ID"]]
        utc = datetime.fromtimestamp(int(r["创建时间"]) / 1000, tz=timezone.utc).replace(tzinfo=None)
        assert (account, stage, owner, currency) == (r["客户名称"], r["商机阶段"], r["负责人"], "CNY")
        assert prob == number(r["赢率"]) and amount == pytest.approx(number(r["预计成交金额"]))
        assert created == utc  # an epoch instant, not shifted by Asia/Shanghai
        assert close.isoformat() == r["预计成交日期"] and loss == (r["丢单原因"] or None)
    first = rows[0]
    beijing = datetime.fromtimestamp(int(first["创建时间"]) / 1000, tz=timezone(timedelta(hours=8)))
    assert beijing.strftime("%H:%M") == "09:15"  # the fixture's Beijing wall clock
    won = warehouse.execute("select sum(amount) from raw.crm_opportunities where stage = '赢单'").fetchone()[0]
    assert won == pytest.approx(sum(number(r["预计成交金额"]) for r in rows if r["商机阶段"] == "赢单"))
    leads = warehouse.execute("select count(*), count(email), count(*) filter (is_converted) from raw.crm_leads").fetchone()
    assert leads == (len(rows), sum(1 for r in rows if r["邮箱"]), len(rows))


MINI = """\
mapping: acme_sheet
files:
  - name: leads
    detect: {headers: [Lead No, Signed up]}
    tables:
      crm_leads:
        columns:
          lead_id: {source: Lead No, kind: id}
          created_at: {source: Signed up, kind: timestamp, formats: ["%d/%m/%Y %H:%M"], timezone: Europe/Berlin}
          status: {source: Stage, value_map: {neu: New, qualifiziert: Qualified}}
"""
MINI_CSV = "Lead No;Signed up;Stage\nA-1;31/01/2024 10:00;neu\nA-2;01/02/2024 09:30;qualifiziert\n"


def test_landing_mappings_folder_is_searched_and_values_are_mapped(warehouse, landing):
    (landing / "_mappings").mkdir()
    (landing / "_mappings" / "acme.yml").write_text(MINI, encoding="utf-8")
    (landing / "acme_leads.csv").write_text(MINI_CSV, encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert not report.errors and [r.adapter for r in report.loaded] == ["mapping:acme_sheet/leads"]
    assert warehouse.execute("select lead_id, created_at, status from raw.crm_leads order by 1").fetchall() == [
        ("A-1", datetime(2024, 1, 31, 9, 0), "New"), ("A-2", datetime(2024, 2, 1, 8, 30), "Qualified")]


def test_env_mapping_dir_is_searched(warehouse, landing, tmp_path, monkeypatch):
    folder = tmp_path / "team-mappings"
    folder.mkdir()
    (folder / "acme.yaml").write_text(MINI, encoding="utf-8")
    monkeypatch.setenv("FUNNEL_MAPPINGS_DIR", str(folder))
    (landing / "acme_leads.csv").write_text(MINI_CSV, encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert not report.errors and report.loaded[0].rows_loaded == 2


def test_a_landing_mapping_overrides_a_shipped_one_of_the_same_name(warehouse, landing):
    (landing / "_mappings").mkdir()
    text = (SHIPPED_DIR / "maven_crm.yml").read_text(encoding="utf-8").replace("team: manager", "team: regional_office")
    (landing / "_mappings" / "maven_crm.yml").write_text(text, encoding="utf-8")
    shutil.copy(FIXTURES / "maven_crm/sales_teams.csv", landing)
    assert not ingest_landing(warehouse, landing).errors
    teams = {r[0] for r in warehouse.execute("select distinct team from raw.crm_users").fetchall()}
    assert teams == {"Central", "East", "West"}


def test_an_invalid_mapping_is_reported_and_other_files_still_load(warehouse, landing):
    (landing / "_mappings").mkdir()
    (landing / "_mappings" / "broken.yml").write_text(MINI.replace("kind: timestamp", "kind: datetime"), encoding="utf-8")
    shutil.copy(FIXTURES / "maven_crm/sales_teams.csv", landing)
    report = ingest_landing(warehouse, landing)
    assert [r.target_table for r in report.loaded] == ["crm_users"]
    assert len(report.errors) == 1
    text = str(report.errors[0])
    assert "broken.yml" in text and "files[0].tables.crm_leads.columns.created_at.kind" in text and "'datetime'" in text


@pytest.mark.parametrize("change,key,words", [
    (("lead_id: {source: Lead No, kind: id}", "lead_id: {expr: \"'x' || 1\"}"), "columns.lead_id.expr", "never code"),
    (("lead_id: {source: Lead No, kind: id}", "lead_id: {sql: \"select 1\"}"), "columns.lead_id.sql", "never code"),
    (("crm_leads:", "crm_lead:"), "files[0].tables.crm_lead", "not a canonical table"),
    (("status: {source", "stauts: {source"), "columns.stauts", "not a column of crm_leads"),
    (("timezone: Europe/Berlin", "timezone: Mars/Olympus"), "created_at.timezone", "unknown time zone"),
    (("formats: [\"%d/%m/%Y %H:%M\"]", "formats: [\"DD/MM/YYYY\"]"), "created_at.formats[0]", "not a strptime format"),
    (("detect: {headers: [Lead No, Signed up]}", "detect: {header: [Lead No]}"), "files[0].detect.header", "unknown key"),
    (("lead_id: {source: Lead No, kind: id}", "lead_id: {source: Lead No, const: x}"), "columns.lead_id", "exactly one"),
    (("kind: timestamp, formats", "kind: date, formats"), "created_at.timezone", "only to kind: timestamp"),
])
def test_validation_errors_name_the_file_and_the_key(tmp_path, change, key, words):
    path = tmp_path / "acme.yml"
    path.write_text(MINI.replace(*change), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        load_mapping_file(path)
    assert str(path) in str(err.value) and key in str(err.value) and words in str(err.value)


def test_unreadable_yaml_is_a_mapping_error(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("mapping: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match="cannot be read as UTF-8 YAML"):
        load_mapping_file(path)


def test_shipped_mappings_are_valid():
    for path in SHIPPED_DIR.glob("*.yml"):
        assert load_mapping_file(path).files


REPORT_MAPPING = """\
mapping: stage_report
files:
  - name: deals
    detect: {headers: [Deal, Owner]}
    summary_rows: [{column: Deal, values: [Summe], prefixes: ["Total"]}]
    footer: ['Vertraulich.*']
    record_count: 'Total \\((\\d+) deals\\)'
    tables:
      crm_opportunities:
        columns:
          opportunity_id: {source: Deal, kind: id}
          created_at: {source: Created, kind: date, formats: ["%d.%m.%Y"]}
          owner_id: Owner
          amount: {source: Value, kind: number}
      crm_stage_history:
        unpivot: {pattern: 'Entered (?P<stage>.+)', companions: {left: 'Left {stage}'}}
        columns:
          entity_type: {const: opportunity}
          entity_id: {source: Deal, kind: id}
          stage: _fw_u_stage
          entered_at: {source: _fw_u_value, kind: timestamp, formats: ["%d.%m.%Y"]}
          exited_at: {source: _fw_u_left, kind: timestamp, formats: ["%d.%m.%Y"]}
"""
REPORT_CSV = """Pipeline export
Deal,Owner,Created,Value,Entered Demo,Left Demo,Entered Won,Left Won
D1,Kai,01.02.2024,"1.500,00",02.02.2024,05.02.2024,05.02.2024,
D2,Uta,03.02.2024,"250,50",04.02.2024,,,
Summe,,,"1.750,50",,,,
Total (2 deals),,,,,,,
Vertraulich - nur intern
"""


def test_yaml_summary_rows_footer_record_count_and_unpivot(warehouse, landing):
    (landing / "_mappings").mkdir()
    (landing / "_mappings" / "report.yml").write_text(REPORT_MAPPING, encoding="utf-8")
    (landing / "deals.csv").write_text(REPORT_CSV, encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert not report.errors, report.errors
    m = manifest(warehouse, "deals.csv")
    opp = m["crm_opportunities"]
    assert (opp["rows_read"], opp["rows_loaded"], opp["rows_quarantined"], opp["rows_summary"]) == (5, 2, 0, 3)
    assert "record count 2 matches" in opp["message"]
    assert warehouse.execute("select sum(amount) from raw.crm_opportunities").fetchone()[0] == pytest.approx(1750.5)
    history = warehouse.execute("select entity_id, stage, entered_at::date::varchar, exited_at::date::varchar "
                                "from raw.crm_stage_history order by 1, 3, 2").fetchall()
    assert history == [("D1", "Demo", "2024-02-02", "2024-02-05"), ("D1", "Won", "2024-02-05", None),
                       ("D2", "Demo", "2024-02-04", None)]
    hist = m["crm_stage_history"]  # three stage entries; the footer line is accounted for in every table's load
    assert (hist["rows_read"], hist["rows_loaded"], hist["rows_summary"]) == (4, 3, 1)
    assert_identity(warehouse)
