"""Vendor text → typed values, and encodings detected rather than guessed (hand-checked values)."""

from __future__ import annotations

import codecs
from datetime import datetime

import duckdb
import pytest

from orchestration.ingest.files import detect_encoding
from orchestration.ingest.parsing import install_macros


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    install_macros(c)
    return c


@pytest.mark.parametrize("text,expected", [
    ("1,234.56", 1234.56), ("1.234,56", 1234.56), ("$1,234", 1234.0), ("¥1,234", 1234.0),
    ("1.234,56 €", 1234.56), ("795,836", 795836.0), ("12.5%", 12.5), ("(1,234)", -1234.0),
    ("-3", -3.0), ("1,5", 1.5), ("USD 20", 20.0), ("abc", None), ("12abc", None),
])
def test_numbers(con, text, expected):
    assert con.execute("select fw_num(fw_text(?))", [text]).fetchone()[0] == expected


@pytest.mark.parametrize("text", ["", "  ", " --", "--", "N/A", "null"])
def test_vendor_null_tokens(con, text):
    assert con.execute("select fw_text(?)", [text]).fetchone()[0] is None


@pytest.mark.parametrize("text,expected", [
    ("2018-10-13 17:16:45", datetime(2018, 10, 13, 17, 16, 45)),
    ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10)),
    ("2024-03-05T10:00:00+08:00", datetime(2024, 3, 5, 2)),   # converted to UTC
    ("3/5/2024", datetime(2024, 3, 5)),                        # US M/D/YYYY
    ("2024/03/05", datetime(2024, 3, 5)),
    ("2024年3月5日", datetime(2024, 3, 5)),
    ("1709625600000", datetime(2024, 3, 5, 8)),                # epoch milliseconds
    ("45356", datetime(2024, 3, 5)),                           # Excel serial date
    ("January 5, 2026", datetime(2026, 1, 5)),
    ("05.03.2024", datetime(2024, 3, 5)),
    ("2024-02-30", None),                                      # no such day
    ("yesterday", None),
])
def test_timestamps(con, text, expected):
    assert con.execute("select fw_ts(fw_text(?))", [text]).fetchone()[0] == expected


def test_vendor_timezone_is_converted_to_utc(con):
    got = con.execute("select fw_to_utc(timestamp '2024-03-01 07:00:00', 'Asia/Shanghai')").fetchone()[0]
    assert got == datetime(2024, 2, 29, 23)


def test_salesforce_null_id(con):
    assert con.execute("select fw_id('000000000000000AAA'), fw_id('0014600001TvgfWAAR')").fetchone() == (None, "0014600001TvgfWAAR")


TEXT = "线索ID,来源渠道,商机阶段,负责人\n1001,官网表单,需求沟通,张伟\n"
LATIN = "Name,Stage\nJosé,Negociación\nFrançois,Ganada\n"


@pytest.mark.parametrize("data,expected", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("gb18030"), "gb18030"),
    (LATIN.encode("cp1252"), "cp1252"),
    (LATIN.encode("iso-8859-1"), "cp1252"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
    (LATIN.encode("utf-16-le"), "utf-16-le"),
])
def test_encoding_detection(data, expected):
    assert detect_encoding(data) == expected


def test_detected_encoding_decodes_the_text_exactly():
    for text, enc in ((TEXT, "gbk"), (LATIN, "cp1252")):
        detected = detect_encoding(text.encode(enc))
        assert text.encode(enc).decode(detected) == text


def test_utf8_file_declared_as_gbk_is_still_read_as_utf8():
    assert detect_encoding(TEXT.encode("utf-8"), declared="gbk") == "utf-8"
