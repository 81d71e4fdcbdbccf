"""The PII scanner finds what it must (so a clean scan of a real build means something).

The scan of a generated build's outputs lives with the end-to-end build
(tests/e2e/test_pipeline.py::test_no_email_phone_or_name_from_the_inputs_reaches_a_bi_output).
"""

from __future__ import annotations

import hashlib

import duckdb

from tests.bad_inputs.pii import needles_from_landing, scan_outputs


def test_every_normalized_form_of_a_planted_email_phone_and_name_is_found(tmp_path):
    landing, out = tmp_path / "landing", tmp_path / "out"
    landing.mkdir()
    (landing / "Lead.csv").write_text(
        "Id,FirstName,LastName,Email,Phone,Company\n"
        "1,Ann,Lee,Ann.Lee@Example.com ,+86 138-0013-8000,Acme\n"
        "2,伟,张,wei@example.cn,(415) 555-0100,Beta\n")
    (landing / "User.csv").write_text("Id,Username,FirstName,LastName\n9,rep@corp.example,Rita,Rep\n")
    needles = needles_from_landing(landing, exclude_names={"rita rep"})
    assert "ann.lee@example.com" in needles.emails and "8613800138000" in needles.phones and "ann lee" in needles.names
    assert "rita rep" not in needles.names

    out.mkdir()
    (out / "report").mkdir()
    con = duckdb.connect(str(out / "funnel.duckdb"))
    con.execute("create schema marts")
    con.execute("""create table marts.leaky as select * from (values
        ('contact: ann.lee@example.com', null::json, 'x'),
        ('+8613800138000', null, 'x'),
        ('call 4155550100 today', null, 'x'),
        ('ok', '{"who": "Ann Lee"}'::json, 'x'),
        ('owner 张伟', null, 'x')) t(note, extra, pad)""")
    digest = hashlib.sha256(b"ann.lee@example.com").hexdigest()
    con.execute("create table marts.safe as select ? as email_hash, 'Rita Rep' as owner_name", [digest])
    con.close()
    (out / "report" / "funnel_report.html").write_text("<td>+86 138 0013 8000</td><td>Ann.Lee@example.com</td>")

    hits = scan_outputs(out, needles)
    kinds = {(h.where.split(".")[0], h.kind) for h in hits["funnel.duckdb"]}
    assert {("marts", "email"), ("marts", "phone"), ("marts", "name")} <= kinds
    found = {h.value for h in hits["funnel.duckdb"]}
    assert {"+8613800138000", "4155550100", "ann lee", "张伟"} <= found
    assert not any(h.where.startswith("marts.safe") for h in hits["funnel.duckdb"]), "a hash or a rep's name is not PII"
    assert {h.kind for h in hits["report"]} >= {"email", "phone"}
