"""Imports on the real store (SQLite, and PostgreSQL when configured): real files, bad files, upserts."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from services.imports import (ImportRejected, prepare_import, preview_import, run_import, source_from_bytes,
    source_from_path)
from workbench.config import get_settings
from workbench.domain import GICS_SECTORS, REGIONS
from workbench.errors import WorkbenchError
from workbench.models import AuditEntry, Company, Deal, DealParty, Document, Price


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _count(store, model) -> int:
    with store.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _import(store, name: str, data: bytes, kind: str, **kw):
    return run_import(source_from_bytes(name, data), kind, session_factory=store.session_factory, user="tester", **kw)


COMPANIES = [["Ticker", "Company Name", "Sector", "Market Cap ($mm)"],
             ["AAA", "Alpha Inc", "Energy", "1,250.5"],
             ["BBB", "Beta plc", "Utilities", "300"]]  # fmt: skip


# --- the real public files -------------------------------------------------------------------------

# file, kind, rows imported alone, rows rejected, (row, reason fragment) expected among the rejections
REAL_FILES = [
    ("companies/sp500_constituents.csv", "companies", 503, 0, None),
    ("companies/sp500_financials.csv", "companies", 503, 0, None),
    ("deals/big_tech_acquisitions_2021.csv", "deals", 1455, 0, None),
    ("deals/tech_acquisitions_dev.csv", "deals", 813, 6, (721, "implausible year")),
    ("deals/crunchbase_acquisitions_2015.csv", "deals", 18887, 81, (2637, "implausible date")),
]


@pytest.mark.parametrize(("name", "kind", "imported", "rejected", "example"), REAL_FILES,
                         ids=[f[0].split("/")[1] for f in REAL_FILES])  # fmt: skip
def test_each_real_file_loads_without_editing(store, shared_data, tmp_path, name, kind, imported, rejected, example):
    path = tmp_path / Path(name).name  # a copy, so the rejected-rows file lands in tmp
    shutil.copy(shared_data / name, path)
    result = run_import(source_from_path(path), kind, session_factory=store.session_factory, user="tester",
                        skip_invalid=True)  # fmt: skip
    assert (result.inserted, result.rejected) == (imported, rejected)
    assert _count(store, Company if kind == "companies" else Deal) == imported
    if example:
        row, reason = example
        assert any(e.row == row and reason in e.reason for e in result.preview.errors)
        assert result.rejected_path == path.with_name(f"{path.stem}.rejected.csv")
        with open(result.rejected_path, newline="", encoding="utf-8") as fh:
            rejected_rows = list(csv.DictReader(fh))
        assert len(rejected_rows) == rejected and all(r["reason"] for r in rejected_rows)
    again = run_import(source_from_path(path), kind, session_factory=store.session_factory, user="tester",
                       skip_invalid=True)  # fmt: skip
    assert (again.inserted, again.updated) == (0, imported)
    assert _count(store, Company if kind == "companies" else Deal) == imported


def test_sp500_values_are_converted_to_millions_and_percent(store, shared_data):
    for name in ("sp500_constituents.csv", "sp500_financials.csv"):
        run_import(source_from_path(shared_data / "companies" / name), "companies",
                   session_factory=store.session_factory, user="tester")  # fmt: skip
    with store.session_factory() as s:
        mmm = s.scalars(select(Company).where(Company.key == "MMM")).one()
        dd = s.scalars(select(Company).where(Company.key == "DD")).one()
    assert mmm.market_cap_usd_m == pytest.approx(92293.69344)
    assert mmm.dividend_yield_pct == pytest.approx(1.75)
    assert mmm.sector == "Industrials"  # kept from the constituents file
    assert mmm.sub_industry == "Industrial Conglomerates"
    assert mmm.founded_year == 1902 and mmm.cik == "66740"
    assert (mmm.country, mmm.region) == ("United States", "North America")  # the financials file has no HQ
    # the financials snapshot moves DuPont to Specialty Chemicals: the derived sector moves with it
    assert (dd.sub_industry, dd.sector) == ("Specialty Chemicals", "Materials")


def test_tech_acquisitions_prices_categories_description_and_parties(store, shared_data):
    source = source_from_bytes("tech.csv", (shared_data / "deals" / "tech_acquisitions_dev.csv").read_bytes())
    with pytest.raises(ImportRejected) as rejected:
        run_import(source, "deals", session_factory=store.session_factory, user="tester")
    message = str(rejected.value)
    assert "row 721, column 'year', value '2104': implausible year" in message
    assert "row 33, column 'announced', value '4//17/2013'" in message
    assert _count(store, Deal) == 0
    run_import(source, "deals", session_factory=store.session_factory, user="tester", skip_invalid=True)
    with store.session_factory() as s:
        deal = s.scalars(select(Deal).where(Deal.name == "Adobe Systems acquired Day Software in 2010")).one()
        roles = sorted((p.role, p.name) for p in deal.parties)
    assert deal.size_usd_m == pytest.approx(240.0)
    assert deal.deal_type == "ma" and deal.announced_date.isoformat() == "2010-07-28"
    assert roles == [("acquirer", "Adobe"), ("target", "Day Software")]
    assert deal.description and deal.description.startswith("Day was founded")


def test_crunchbase_keeps_non_usd_prices_as_local_size_and_hostile_names_verbatim(store, shared_data):
    data = (shared_data / "deals" / "crunchbase_acquisitions_2015.csv").read_bytes()
    run_import(source_from_bytes("crunchbase.csv", data), "deals",
               session_factory=store.session_factory, user="tester", skip_invalid=True)  # fmt: skip
    with store.session_factory() as s:
        zyncro = s.scalars(select(Deal).where(Deal.name == "Desarrolladora Rio Parana acquired Zyncro")).one()
        xss = s.scalar(select(func.count()).select_from(DealParty).where(
            DealParty.name == 'XSS<img src=x onerror=prompt("1")>'))  # fmt: skip
    assert (zyncro.currency, zyncro.size_local_m, zyncro.size_usd_m) == ("EUR", 30.0, None)
    assert "Enterprise Software" in zyncro.categories
    # its acquirer cell holds 32,757 characters: that row is rejected, so the target is not stored
    assert xss == 0


def _import_real(store, shared_data, name: str, kind: str):
    return run_import(source_from_bytes(Path(name).name, (shared_data / name).read_bytes()), kind,
                      session_factory=store.session_factory, user="tester", skip_invalid=True)  # fmt: skip


def test_sp500_constituents_get_country_and_region_from_their_headquarters(store, shared_data):
    _import_real(store, shared_data, "companies/sp500_constituents.csv", "companies")
    with store.session_factory() as s:
        places = {key: (country, region) for key, country, region in
                  s.execute(select(Company.key, Company.country, Company.region))}  # fmt: skip
    assert places["AAPL"] == ("United States", "North America")  # Cupertino, California
    assert places["ACN"] == ("Ireland", "Europe")  # Dublin, Ireland
    assert places["MMM"] == ("United States", "North America")
    assert sum(1 for country, _ in places.values() if country) >= 500
    assert {region for _, region in places.values() if region} <= set(REGIONS)


def test_sp500_financials_alone_gets_the_gics_sector_from_its_sub_industry(store, shared_data):
    _import_real(store, shared_data, "companies/sp500_financials.csv", "companies")
    with store.session_factory() as s:
        sectors = dict(s.execute(select(Company.key, Company.sector)).all())
    assert sectors["MMM"] == "Industrials" and sectors["AAPL"] == "Information Technology"
    assert len(sectors) == 503 and set(sectors.values()) <= set(GICS_SECTORS)


@pytest.mark.parametrize(("name", "deal", "expected"), [
    ("deals/crunchbase_acquisitions_2015.csv", "Desarrolladora Rio Parana acquired Zyncro",
     ("Spain", "Europe", "Information Technology")),  # ESP; Cloud Computing|Enterprise Software|...
    ("deals/tech_acquisitions_dev.csv", "Adobe Systems acquired Day Software in 2010",
     ("Switzerland", "Europe", "Information Technology")),  # market category Software
    ("deals/big_tech_acquisitions_2021.csv", "Ibm acquired Metamerge",
     ("Norway", "Europe", "Information Technology")),  # business "Identity management"
])  # fmt: skip
def test_real_deals_get_one_country_name_and_a_region_and_sector(store, shared_data, name, deal, expected):
    _import_real(store, shared_data, name, "deals")
    with store.session_factory() as s:
        found = s.execute(select(Deal.country, Deal.region, Deal.sector).where(Deal.name == deal)).one()
        countries = set(s.scalars(select(Deal.country).distinct()))
        regions = set(s.scalars(select(Deal.region).distinct())) - {None}
        sectors = set(s.scalars(select(Deal.sector).distinct())) - {None}
        with_region = s.scalar(select(func.count()).select_from(Deal).where(Deal.region.is_not(None)))
        with_country = s.scalar(select(func.count()).select_from(Deal).where(Deal.country.is_not(None)))
    assert tuple(found) == expected
    assert "United States" in countries and not countries & {"USA", "US", "Great Britain", "GBR", "The Netherlands"}
    assert regions <= set(REGIONS) and sectors <= set(GICS_SECTORS) and sectors
    assert with_region >= with_country - 1  # all but a country the table does not know ("SF Bay Area", a typo)


def test_crunchbase_rows_where_a_company_acquires_itself_are_rejected(store, shared_data):
    result = _import_real(store, shared_data, "deals/crunchbase_acquisitions_2015.csv", "deals")
    itself = [e for e in result.preview.errors if "cannot acquire itself" in e.reason]
    assert len(itself) == 33
    assert any(e.row == 17 and e.column == "acquirer_name" and e.value == "10stamps" for e in itself)
    with store.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Deal).where(Deal.name == "10stamps acquired 10stamps")) == 0


# --- rules -----------------------------------------------------------------------------------------

def test_reimport_does_not_duplicate_and_upsert_updates_a_changed_value(store):
    first = _import(store, "c.csv", _csv(COMPANIES), "companies")
    assert (first.inserted, first.updated) == (2, 0)
    changed = [r[:] for r in COMPANIES]
    changed[1][3] = "2,000"
    second = _import(store, "c.csv", _csv(changed), "companies")
    assert (second.inserted, second.updated) == (0, 2)
    with store.session_factory() as s:
        assert s.scalar(select(Company.market_cap_usd_m).where(Company.key == "AAA")) == 2000.0
    assert _count(store, Company) == 2


def test_import_rejects_whole_file_when_one_row_is_bad(store):
    rows = COMPANIES + [["CCC", "Gamma", "Energy", "-5"], ["DDD", "", "Energy", "lots"]]
    with pytest.raises(ImportRejected) as exc:
        _import(store, "bad.csv", _csv(rows), "companies")
    message = str(exc.value)
    assert "row 4, column 'Market Cap ($mm)', value '-5': negative value" in message
    assert "row 5, column 'Company Name', value '': required value is missing" in message
    assert "row 5, column 'Market Cap ($mm)', value 'lots': not a number" in message
    assert "header as row 1" in message
    assert _count(store, Company) == 0 and _count(store, AuditEntry) == 0


def test_duplicate_key_in_the_file_is_rejected(store):
    with pytest.raises(ImportRejected, match="row 3, column 'Ticker', value 'AAA': duplicate key: same as row 2"):
        _import(store, "d.csv", _csv([COMPANIES[0], COMPANIES[1], COMPANIES[1]]), "companies")


def test_skip_invalid_imports_valid_rows_and_returns_the_rejected_ones(store):
    rows = COMPANIES + [["CCC", "Gamma", "Energy", "-5"]]
    result = _import(store, "some.csv", _csv(rows), "companies", skip_invalid=True)
    assert (result.inserted, result.rejected) == (2, 1)
    rejected = list(csv.DictReader(io.StringIO(result.rejected_csv.decode("utf-8"))))
    assert rejected == [{"Ticker": "CCC", "Company Name": "Gamma", "Sector": "Energy", "Market Cap ($mm)": "-5",
                         "row": "4", "reason": "Market Cap ($mm): negative value"}]  # fmt: skip
    with store.session_factory() as s:
        entry = s.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.object_type, entry.row_count, entry.user) == ("import", "companies", 2, "tester")
    assert entry.file_sha256 == result.preview.file_sha256 and entry.details["rejected"] == 1


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.csv", b"", "empty"),
    ("header.csv", b"Ticker,Company Name\n", "no data rows"),
    ("blank.csv", b"\n\n", "no header row"),
    ("companies.txt", b"Ticker,Name\nA,B\n", "only .csv and .xlsx"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "not a readable XLSX"),
])  # fmt: skip
def test_unusable_files_are_refused_with_a_clear_error(store, name, data, message):
    with pytest.raises(WorkbenchError, match=message):
        _import(store, name, data, "companies")
    assert _count(store, Company) == 0


def test_file_over_the_size_limit_is_refused(store, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    path = tmp_path / "big.csv"
    path.write_bytes(_csv(COMPANIES) + b"ZZZ,Padding,Energy,1\n" * 60_000)
    with pytest.raises(WorkbenchError, match="over the 1 MB limit"):
        source_from_path(path)
    with pytest.raises(WorkbenchError, match="over the 1 MB limit"):
        _import(store, "big.csv", path.read_bytes(), "companies")


def test_cp1252_file_keeps_accents_and_euro_and_says_so(store):
    data = "Ticker,Company Name,Description\nSGO,Société Générale,Revenue €25bn\n".encode("cp1252")
    result = _import(store, "fr.csv", data, "companies")
    assert result.preview.encoding == "cp1252"
    with store.session_factory() as s:
        company = s.scalars(select(Company)).one()
    assert (company.name, company.description) == ("Société Générale", "Revenue €25bn")


def test_utf8_bom_is_dropped_from_the_first_header(store):
    data = "\ufeffTicker,Company Name\nAAA,Alpha\n".encode()
    result = _import(store, "bom.csv", data, "companies")
    assert result.preview.encoding == "utf-8" and result.preview.mapping["ticker"] == "Ticker"


HOSTILE = ["'; DROP TABLE companies; --", 'Robert"); DELETE FROM deals; --', '=HYPERLINK("http://evil","x")',
           "<script>alert(1)</script>", "100% _wild_ \\ card"]  # fmt: skip


def test_hostile_strings_are_stored_verbatim_and_nul_bytes_removed_with_a_note(store):
    rows = [["Ticker", "Company Name", "Description"]] + [[f"H{i}", h, h] for i, h in enumerate(HOSTILE)]
    rows.append(["NUL", "Nul\x00Corp", "ok"])
    result = _import(store, "hostile.csv", _csv(rows), "companies")
    assert result.inserted == len(HOSTILE) + 1
    assert any("NUL bytes removed" in n for n in result.preview.notes)
    with store.session_factory() as s:
        names = set(s.scalars(select(Company.name)))
    assert names == {*HOSTILE, "NulCorp"}


def test_xlsx_round_trip(store):
    wb = Workbook()
    ws = wb.active
    ws.append(["Deal Name", "Deal Type", "Announced Date", "Deal Value (USD mm)", "Issuer", "Bookrunners"])
    import datetime as dt

    ws.append(["Alpha IPO", "IPO", dt.datetime(2021, 3, 4), 250.5, "Alpha Inc", "GS; MS|JPM"])
    ws.append(["Beta notes", "High Yield", "2022-01-05", 500, "Beta plc", "Barclays"])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = _import(store, "deals.xlsx", buffer.getvalue(), "deals")
    assert result.preview.encoding == "xlsx" and result.inserted == 2
    with store.session_factory() as s:
        deals = {d.name: d for d in s.scalars(select(Deal))}
        bookrunners = sorted(s.scalars(select(DealParty.name).where(DealParty.role == "bookrunner")))
    assert deals["Alpha IPO"].deal_type == "ipo" and deals["Alpha IPO"].size_usd_m == 250.5
    assert deals["Alpha IPO"].announced_date.isoformat() == "2021-03-04"
    assert deals["Beta notes"].deal_type == "hy_bond"
    assert bookrunners == ["Barclays", "GS", "JPM", "MS"]


def test_deal_parties_link_to_companies_by_ticker_or_exact_name(store):
    _import(store, "c.csv", _csv(COMPANIES), "companies")
    _import(store, "d.csv", _csv([["Acquirer", "Target", "Announced Date"], ["AAA", "Beta plc", "2020-01-02"],
                                  ["Unknown Co", "Other", "2020-01-03"]]), "deals")  # fmt: skip
    with store.session_factory() as s:
        links = dict(s.execute(select(DealParty.name, DealParty.company_id)).all())
        ids = dict(s.execute(select(Company.key, Company.id)).all())
    assert links == {"AAA": ids["AAA"], "Beta plc": ids["BBB"], "Unknown Co": None, "Other": None}


def test_prices_need_a_known_company_and_upsert_by_company_and_date(store):
    _import(store, "c.csv", _csv(COMPANIES), "companies")
    bad = _csv([["Ticker", "Date", "Close"], ["AAA", "2024-01-02", "10.5"], ["ZZZ", "2024-01-02", "1"]])
    with pytest.raises(ImportRejected, match="row 3, column 'Ticker', value 'ZZZ': unknown company"):
        _import(store, "p.csv", bad, "prices")
    good = _csv([["Ticker", "Date", "Close", "Volume"], ["AAA", "2024-01-02", "10.5", "1000"],
                 ["bbb", "2024-01-02", "3", ""]])  # fmt: skip
    assert _import(store, "p.csv", good, "prices").inserted == 2
    again = _csv([["Ticker", "Date", "Close"], ["AAA", "2024-01-02", "11"], ["AAA", "2024-01-03", "12"]])
    result = _import(store, "p.csv", again, "prices")
    assert (result.inserted, result.updated) == (1, 1)
    with store.session_factory() as s:
        closes = sorted(s.scalars(select(Price.close)))
    assert closes == [3.0, 11.0, 12.0]


def test_documents_import_with_derived_key_and_company_link(store):
    _import(store, "c.csv", _csv(COMPANIES), "companies")
    data = _csv([["Title", "Date", "Ticker", "Type", "Text"],
                 ["Q1 call", "2024-04-20", "AAA", "Earnings call", "Revenue grew."],
                 ["Note", "", "", "research", "Hello"]])  # fmt: skip
    first = _import(store, "docs.csv", data, "documents")
    assert first.inserted == 2
    assert _import(store, "docs.csv", data, "documents").updated == 2
    with store.session_factory() as s:
        doc = s.scalars(select(Document).where(Document.title == "Q1 call")).one()
    assert doc.doc_type == "transcript" and doc.company_id is not None and doc.char_count == 13
    assert doc.key.startswith("doc-") and len(doc.sha256) == 64


def test_preview_writes_nothing_and_counts_new_and_updated(store):
    _import(store, "c.csv", _csv(COMPANIES[:2]), "companies")
    preview = preview_import(source_from_bytes("c.csv", _csv(COMPANIES)), "companies",
                             session_factory=store.session_factory)  # fmt: skip
    assert (preview.valid_rows, preview.new_rows, preview.updated_rows) == (2, 1, 1)
    assert list(preview.sample["key"]) == ["AAA", "BBB"]
    assert _count(store, Company) == 1


def test_missing_required_column_is_a_clear_error(store):
    with pytest.raises(WorkbenchError, match="no column for the required companies field"):
        _import(store, "c.csv", _csv([["Sector"], ["Energy"]]), "companies")


def test_reimport_with_a_key_in_another_case_updates_instead_of_duplicating(store):
    _import(store, "c.csv", _csv(COMPANIES), "companies")
    lower = [COMPANIES[0], ["aaa", "Alpha Renamed", "Energy", "9"]]
    preview = preview_import(source_from_bytes("c.csv", _csv(lower)), "companies", session_factory=store.session_factory)
    assert (preview.new_rows, preview.updated_rows) == (0, 1)
    result = _import(store, "c.csv", _csv(lower), "companies")
    assert (result.inserted, result.updated) == (0, 1)
    with store.session_factory() as s:
        assert s.execute(select(Company.key, Company.name).where(Company.key == "AAA")).one() == ("AAA", "Alpha Renamed")
    assert _count(store, Company) == 2


def test_prepared_import_is_written_without_reading_the_file_again(store, monkeypatch):
    import services.imports.service as service

    source = source_from_bytes("c.csv", _csv(COMPANIES))
    prepared = prepare_import(source, "companies", session_factory=store.session_factory)
    assert prepared.preview.new_rows == 2

    def no_second_read(*_args, **_kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(service, "read_table", no_second_read)
    result = run_import(source, "companies", session_factory=store.session_factory, user="tester", prepared=prepared)
    assert (result.inserted, _count(store, Company)) == (2, 2)


def test_rows_written_by_someone_else_after_the_check_reject_the_import_whole(store):
    source = source_from_bytes("c.csv", _csv(COMPANIES))
    prepared = prepare_import(source, "companies", session_factory=store.session_factory)
    with store.session_factory.begin() as s:
        s.add(Company(key="BBB", name="Written meanwhile"))
    with pytest.raises(WorkbenchError, match="the store changed while importing"):
        run_import(source, "companies", session_factory=store.session_factory, user="tester", prepared=prepared)
    with store.session_factory() as s:
        assert s.scalars(select(Company.name)).all() == ["Written meanwhile"]
    assert _count(store, AuditEntry) == 0


def test_a_country_the_table_does_not_know_is_kept_and_named_in_the_preview(store):
    rows = [["Ticker", "Company Name", "Country"], ["AAA", "Alpha Corp", "USA"], ["BBB", "Beta Corp", "SF Bay Area"]]
    result = _import(store, "countries.csv", _csv(rows), "companies")
    assert result.inserted == 2
    assert any("country not recognised" in n and "SF Bay Area" in n for n in result.preview.notes)
    with store.session_factory() as s:
        stored = dict(s.execute(select(Company.ticker, Company.country)).all())
    assert stored == {"AAA": "United States", "BBB": "SF Bay Area"}
