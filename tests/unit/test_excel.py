"""The banker workbook read back with openpyxl: sheets, formats, frozen header, values, injection."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from screen_store import AS_OF, add_company, add_debt, seeded
from services.screening import ScreenSpec, run_screen
from services.targeting_export import export_screen_to_csv, export_screen_to_excel
from workbench.audit import file_sha256
from workbench.excel import BankerWorkbook, Column, safe_text
from workbench.models import AuditEntry


def _header_row(ws) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == "Rank":
            return row[0].row
    raise AssertionError("no header row")


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_formula_like_text_is_neutralised(text):
    assert safe_text(text) == "'" + text
    assert safe_text("Acme") == "Acme"


def test_table_sheet_has_formats_frozen_header_autofilter_and_widths():
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "Beta"], "cap": [1234.56, None],
                          "lev": [2.345, 0.5], "growth": [12.5, -3.0]})  # fmt: skip
    book = BankerWorkbook()
    book.add_table("List", frame, [Column("name", "Name"), Column("cap", "Market cap ($m)", "usd_m"),
                                   Column("lev", "Leverage (x)", "multiple"), Column("growth", "Growth", "pct_points")],
                   cover=[("Screen", "Test")])  # fmt: skip
    ws = openpyxl.load_workbook(io.BytesIO(book.to_bytes()))["List"]
    assert ws["A1"].value == "Screen" and ws["B1"].value == "Test"
    assert [c.value for c in ws[3]] == ["Name", "Market cap ($m)", "Leverage (x)", "Growth"]
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:D5"
    assert ws["A4"].value == "'=HYPERLINK(\"http://x\")" and ws["A4"].data_type == "s"
    assert (ws["B4"].value, ws["B4"].number_format) == (1234.56, "#,##0.0")
    assert ws["B5"].value is None
    assert (ws["C4"].value, ws["C4"].number_format) == (2.345, '0.0"x"')
    assert (ws["D4"].value, ws["D4"].number_format) == (0.125, "0.0%")
    assert 8 <= ws.column_dimensions["A"].width <= 60


@pytest.fixture
def result(sqlite_store):
    def build(s):
        a = add_company(s, "A", name="=cmd|' /C calc'!A0", sector="Energy", market_cap_usd_m=5000.0,
                        ebitda_usd_m=100.0, net_debt_usd_m=350.0, cash_usd_m=50.0, revenue_growth_pct=12.5,
                        ebitda_margin_pct=20.0, revenue_usd_m=500.0)
        add_debt(s, a, 200.0, AS_OF.replace(year=2027), coupon=7.0)
        add_company(s, "B", name="Beta", sector="Energy", market_cap_usd_m=900.0)
        return {}

    seeded(sqlite_store.session_factory, build)
    spec = ScreenSpec(name="Energy refi", filters={"conditions": [{"field": "sector", "op": "=", "value": "Energy"},
                      {"field": "debt_maturing_24m_usd_m", "op": ">=", "value": 0}]}, score={"name": "dcm"})  # fmt: skip
    return sqlite_store, run_screen(spec, session_factory=sqlite_store.session_factory, as_of=AS_OF)


def test_screen_workbook_reads_back_with_the_services_values(result, tmp_path):
    store, res = result
    out = tmp_path / "out" / "screen.xlsx"
    exported = export_screen_to_excel(res, session_factory=store.session_factory, user="ana", path=out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Ranked", "Factor breakdown", "Factor definitions", "Provenance"]
    ws = wb["Ranked"]
    cover = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 12)}
    assert cover["Screen"] == "Energy refi" and cover["Run by"] == "ana"
    assert cover["As of"].date() == AS_OF
    assert cover["Criteria"].startswith("Companies where Sector is Energy")
    h = _header_row(ws)
    headers = [c.value for c in ws[h]]
    assert ws.freeze_panes == f"A{h + 1}" and ws.auto_filter.ref.startswith(f"A{h}:")
    rows = res.rows
    assert ws.cell(h + 1, 1).value == 1
    name_col = headers.index("Name") + 1
    assert ws.cell(h + 1, name_col).value == "'" + rows.loc[0, "name"]  # injection neutralised
    cap = ws.cell(h + 1, headers.index("Market cap ($m)") + 1)
    assert (cap.value, cap.number_format) == (rows.loc[0, "market_cap_usd_m"], "#,##0.0")
    lev = ws.cell(h + 1, headers.index("Net debt / EBITDA (x)") + 1)
    assert lev.value == pytest.approx(rows.loc[0, "net_debt_to_ebitda"]) and lev.number_format == '0.0"x"'
    growth = ws.cell(h + 1, headers.index("Revenue growth (%)") + 1)
    assert growth.value == pytest.approx(0.125) and growth.number_format == "0.0%"
    score = ws.cell(h + 1, headers.index("DCM refinancing score") + 1)
    assert score.value == pytest.approx(rows.loc[0, "score"])
    fb = wb["Factor breakdown"]
    fh = _header_row(fb)
    assert fb.freeze_panes == f"A{fh + 1}"
    assert fb.max_row - fh == len(res.factors)
    prov = {wb["Provenance"].cell(r, 1).value: wb["Provenance"].cell(r, 2).value for r in range(1, 40)}
    assert prov["Database backend"] == "sqlite" and prov["Companies matched"] == 2
    with store.session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.file_sha256 == file_sha256(path=out) == exported.sha256
    assert (entry.row_count, entry.file_name) == (2, "screen.xlsx")


def test_csv_export_is_audited_and_neutralises_formulas(result):
    store, res = result
    exported = export_screen_to_csv(res, session_factory=store.session_factory, user="ana")
    text = exported.data.decode()
    assert "'=cmd" in text and ",=cmd" not in text
    with store.session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.file_sha256 == exported.sha256 and entry.details["format"] == "csv"
