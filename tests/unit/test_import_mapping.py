"""Column mapping: vendor header aliases, units in headers, presets for known files, overrides."""

from __future__ import annotations

import pytest

from services.imports.mapping import base_header, build_mapping, header_scale, missing_required, parse_overrides
from workbench.errors import WorkbenchError


def test_capiq_style_company_headers_map_by_alias():
    m = build_mapping("companies", ["Company Name", "Exchange:Ticker", "Total Revenue [LTM] ($mm)",
                                    "Market Capitalization ($mm)", "Primary Industry", "Other"])  # fmt: skip
    assert m.columns == {"name": "Company Name", "exchange_ticker": "Exchange:Ticker", "industry": "Primary Industry",
                         "market_cap_usd_m": "Market Capitalization ($mm)",
                         "revenue_usd_m": "Total Revenue [LTM] ($mm)"}  # fmt: skip
    assert m.scales["revenue_usd_m"] == 1.0
    assert m.preset is None


def test_dealogic_style_deal_headers_map_by_alias():
    m = build_mapping("deals", ["Deal Value (USD mm)", "Announced Date", "Bookrunners", "Issuer", "Deal Type"])
    assert m.columns == {"deal_type": "Deal Type", "announced_date": "Announced Date",
                         "size_usd_m": "Deal Value (USD mm)", "issuer": "Issuer", "bookrunner": "Bookrunners"}  # fmt: skip


@pytest.mark.parametrize(
    ("header", "scale"),
    [("Revenue ($mm)", 1.0), ("Deal Value (USD mm)", 1.0), ("Revenue ($000)", 0.001), ("Size ($bn)", 1000.0),
     ("EV (USD)", 1e-6), ("Revenue USD millions", 1.0), ("Market Cap", None)],
)  # fmt: skip
def test_header_scale_reads_the_unit(header, scale):
    assert header_scale(header) == scale


def test_money_column_without_a_unit_is_read_as_millions_with_a_note():
    m = build_mapping("companies", ["Name", "Ticker", "Market Cap"])
    assert m.scales["market_cap_usd_m"] == 1.0
    assert any("gives no unit" in n for n in m.notes)


def test_base_header_drops_bracketed_qualifiers():
    assert base_header("Total Revenue [LTM] ($mm)") == "total revenue"


def test_sp500_financials_preset_converts_dollars_and_treats_sector_as_sub_industry():
    cols = ["Symbol", "Name", "Sector", "Price", "Price/Earnings", "Dividend Yield", "Market Cap", "EBITDA"]
    m = build_mapping("companies", cols)
    assert m.preset == "sp500_financials"
    assert m.columns["sub_industry"] == "Sector" and "sector" not in m.columns
    assert m.scales["market_cap_usd_m"] == 1e-6 and m.scales["dividend_yield_pct"] == 100.0


def test_explicit_override_wins_and_can_unmap():
    m = build_mapping("companies", ["Name", "Ticker", "Code"], parse_overrides(["key=code", "ticker="]))
    assert m.columns["key"] == "Code"
    assert "ticker" not in m.columns


def test_override_naming_an_unknown_field_or_column_is_a_clear_error():
    with pytest.raises(WorkbenchError, match="unknown companies field"):
        build_mapping("companies", ["Name"], {"colour": "Name"})
    with pytest.raises(WorkbenchError, match="no column 'Nope'"):
        build_mapping("companies", ["Name"], {"name": "Nope"})
    with pytest.raises(WorkbenchError, match="field=Column"):
        parse_overrides(["name"])


def test_missing_required_fields_are_reported():
    m = build_mapping("companies", ["Name"])
    assert missing_required("companies", m) == ["key or ticker"]
    m = build_mapping("prices", ["Ticker", "Close"])
    assert missing_required("prices", m) == ["date"]


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(WorkbenchError, match="unknown import kind"):
        build_mapping("bonds", ["Name"])


def test_sp500_financials_alone_gets_the_gics_sector_of_its_sub_industry():
    from services.imports.reading import RawTable
    from services.imports.rows import parse_rows

    cols = ["Symbol", "Name", "Sector", "Price", "Price/Earnings", "Dividend Yield", "Market Cap", "EBITDA"]
    m = build_mapping("companies", cols)
    assert any("GICS sector is derived" in n for n in m.notes)
    rows = [(2, ["MMM", "3M", "Industrial Conglomerates", "178.96", "31.8", "0.0175", "92293693440", "6488000000"]),
            (3, ["HD", "Home Depot", "Home Improvement Retail", "1", "1", "0.02", "1", "1"]),
            (4, ["CVS", "CVS Health", "Drug Retail", "1", "1", "0.02", "1", "1"])]  # fmt: skip
    parsed = parse_rows("companies", RawTable(cols, rows, "utf-8"), m)
    assert [(r.values["sub_industry"], r.values["sector"]) for r in parsed.records] == [
        ("Industrial Conglomerates", "Industrials"), ("Home Improvement Retail", "Consumer Discretionary"),
        ("Drug Retail", "Consumer Staples")]  # fmt: skip


@pytest.mark.parametrize(("preset", "columns"), [
    ("sp500_constituents", ["Symbol", "Security", "GICS Sector", "GICS Sub-Industry", "Headquarters Location"]),
    ("tech_acquisitions", ["deal_name", "acquirer", "target", "announced", "price", "market_categories",
                           "target_country"]),
    ("crunchbase_acquisitions", ["company_permalink", "company_name", "company_category_list", "company_country_code",
                                 "acquirer_permalink", "acquirer_name", "acquired_at", "price_amount"]),
    ("big_tech_acquisitions", ["Parent Company", "Acquisition Year", "Acquisition Month", "Acquired Company",
                               "Business", "Country"]),
])  # fmt: skip
def test_presets_map_the_columns_that_country_region_and_sector_are_derived_from(preset, columns):
    kind = "companies" if preset.startswith("sp500") else "deals"
    m = build_mapping(kind, columns)
    assert m.preset == preset
    if kind == "companies":
        assert "headquarters" in m.columns
    else:
        assert "country" in m.columns and {"industry", "categories"} & set(m.columns)
