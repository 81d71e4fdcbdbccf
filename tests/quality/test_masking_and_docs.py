"""Sample masking, value formatting, and the on-demand Data Docs."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from orchestration.quality.masking import format_sample, format_value, mask_value


@pytest.mark.parametrize(
    ("value", "column", "masked"),
    [
        ("john.doe@example.com", "email", "j***@example.com"),
        ("no-at-sign", "email", "n***"),
        ("(850) 644-4200", "phone", "***00"),
        ("12", "phone", "***"),
        ("Jane Smith", "name", "J***"),
        ("", "name", "''"),
        (None, "email", "null"),
    ],
)
def test_mask_value(value, column, masked):
    assert mask_value(value, column) == masked


def test_format_sample_masks_only_pii_columns():
    assert format_sample("a@b.com", ["email"], pii=["email"]) == "a***@b.com"
    assert format_sample("a@b.com", ["email"], pii=[]) == "a@b.com"
    assert format_sample(("x@y.org", 5), ["email", "employees"], pii=["email"]) == "(x***@y.org, 5)"


def test_format_value():
    assert format_value(pd.Timestamp("2024-05-01")) == "2024-05-01"
    assert format_value(datetime(2024, 5, 1, 13, 30)) == "2024-05-01 13:30:00"
    assert format_value(date(2024, 5, 1)) == "2024-05-01"
    assert format_value(pd.NA) == format_value(float("nan")) == format_value(pd.NaT) == "null"
    assert format_value(12.0) == "12" and format_value(12.5) == "12.5"
    assert len(format_value("x" * 500)) == 80


def test_build_data_docs(tmp_path, gx_loaded):
    from orchestration.quality import build_data_docs

    index = build_data_docs(tmp_path / "docs")
    assert index.is_file()
    leads = (tmp_path / "docs" / "expectations" / "raw" / "crm_leads.html").read_text()
    assert "expectations/crm_leads.yml" in leads and "lead_id_unique_within_delivery" in leads


def test_importing_the_package_does_not_import_great_expectations():
    import subprocess
    import sys

    code = "import sys, orchestration.quality; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
