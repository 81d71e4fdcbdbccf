"""Nothing a delivery contains is ever run as code.

Behaviour first: a mapping file cannot smuggle SQL or YAML tags in (a delivered mapping is
data, checked against the schema), and file content with code in it is stored as text (the
corpus's formula, SQL and shell cases). Then a tripwire over the source: no eval/exec, no
unsafe deserialisation, no shell — the calls through which file content could become code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orchestration.ingest.mapping import load_mapping_file
from orchestration.ingest.mapping_schema import MappingError

SOURCE = Path(__file__).resolve().parents[2] / "orchestration"
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRS = {("pickle", "load"), ("pickle", "loads"), ("marshal", "loads"), ("yaml", "load"), ("yaml", "unsafe_load"),
                   ("yaml", "full_load"), ("os", "system"), ("os", "popen"), ("shelve", "open")}


def _calls():
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield path.relative_to(SOURCE.parent), node


def test_no_eval_exec_or_unsafe_deserialisation_in_the_pipeline():
    found = []
    for where, call in _calls():
        f = call.func
        if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
            found.append(f"{where}:{call.lineno} {f.id}()")
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in FORBIDDEN_ATTRS:
            found.append(f"{where}:{call.lineno} {f.value.id}.{f.attr}()")
        if any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords):
            found.append(f"{where}:{call.lineno} shell=True")
    assert found == []


@pytest.mark.parametrize("body,complaint", [
    ("mapping: x\nfiles: !!python/object/apply:os.system ['touch /tmp/pwned']\n", "cannot be read as UTF-8 YAML"),
    ("mapping: x\nfiles:\n  - name: a\n    detect: {headers: [A]}\n    tables:\n      crm_leads:\n        columns:\n"
     "          lead_id: {source: A, kind: id}\n          company: {source: A, expr: \"(select 1); drop table raw.crm_leads\"}\n",
     "expr"),
    ("mapping: x\nfiles:\n  - name: a\n    detect: {headers: [A]}\n    tables:\n      raw.crm_leads; drop table x:\n"
     "        columns: {lead_id: A}\n", "not a canonical table"),
])
def test_a_mapping_cannot_carry_code(tmp_path, body, complaint):
    path = tmp_path / "evil.yml"
    path.write_text(body)
    with pytest.raises(MappingError) as info:
        load_mapping_file(path)
    assert complaint in str(info.value)
    assert not Path("/tmp/pwned").exists()
