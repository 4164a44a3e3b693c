"""Cell cleaners of the importer: what is cleaned, what is rejected."""

from __future__ import annotations

import datetime as dt

import pytest

from services.imports import cleaning as c


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("$1.2B", 1e-6, 1200.0),
        ("$350M", 1.0, 350.0),
        ("$900K", 1.0, 0.9),
        ("$1,200,000,000", 1e-6, 1200.0),
        ("1 200 000", 1e-6, 1.2),
        ("9000000", 1e-6, 9.0),
        ("USD 45.5", 1.0, 45.5),
        ("45.5", 1.0, 45.5),
        ("1.5bn", 1.0, 1500.0),
    ],
)
def test_parse_money_converts_to_millions(text, scale, expected):
    assert c.parse_money(text, scale=scale) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "  ", "-", "Undisclosed amount", "undisclosed", "#N/A", "n/a", None])
def test_placeholders_for_unknown_amounts_are_empty(text):
    assert c.parse_money(text) is None


def test_accounting_negative_is_negative():
    assert c.parse_float("(12.5)") == -12.5
    assert c.parse_money("-$5", scale=1.0) == -5.0


@pytest.mark.parametrize("text", ["abc", "12,5", "1.2.3", "$1.2X"])
def test_text_that_is_not_a_number_is_rejected(text):
    with pytest.raises(c.CellError):
        c.parse_money(text)


def test_percent_sign_and_fraction_scale():
    assert c.parse_pct("1.75%") == 1.75
    assert c.parse_pct("0.0175", scale=100) == pytest.approx(1.75)
    assert c.parse_pct("1.75%", scale=100) == 1.75  # the cell's own % wins over the column scale


def test_int_rejects_fractions():
    assert c.parse_int("1,250") == 1250
    with pytest.raises(c.CellError, match="whole"):
        c.parse_int("12.5")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2014-08-26", "dmy", dt.date(2014, 8, 26)),
        ("1999-01-05 00:00:00", "dmy", dt.date(1999, 1, 5)),
        ("26/08/2014", "dmy", dt.date(2014, 8, 26)),
        ("08/26/2014", "mdy", dt.date(2014, 8, 26)),
        ("3/09/2014", "dmy", dt.date(2014, 9, 3)),
        ("26 Aug 2014", "dmy", dt.date(2014, 8, 26)),
        ("Aug 26, 2014", "dmy", dt.date(2014, 8, 26)),
        ("20140826", "dmy", dt.date(2014, 8, 26)),
    ],
)
def test_parse_date_formats(text, order, expected):
    assert c.parse_date(text, order=order) == expected


@pytest.mark.parametrize("text", ["1201-11-03 00:00:00", "3201-10-21", "2104-01-01", "1899-12-31"])
def test_implausible_dates_are_rejected(text):
    with pytest.raises(c.CellError, match="implausible date"):
        c.parse_date(text)


@pytest.mark.parametrize("text", ["4//17/2013", "31/02/2014", "soon", "2014-13-01"])
def test_malformed_dates_are_rejected(text):
    with pytest.raises(c.CellError):
        c.parse_date(text)


def test_slashed_date_order_is_read_from_the_column():
    assert c.slashed_date_order(["12/31/2014", "01/02/2014"]) == "mdy"
    assert c.slashed_date_order(["31/12/2014", "01/02/2014"]) == "dmy"
    assert c.slashed_date_order(["01/02/2014", None, ""]) == "dmy"


def test_years_inside_text_and_implausible_years():
    assert c.parse_year("2013 (1888)") == 2013
    assert c.parse_year("1902") == 1902
    assert c.parse_year("#N/A") is None
    with pytest.raises(c.CellError, match="implausible year"):
        c.parse_year("2104")


def test_months_by_name_or_number():
    assert c.parse_month("Mar") == 3
    assert c.parse_month("September") == 9
    assert c.parse_month("11") == 11
    assert c.parse_month("-") is None
    with pytest.raises(c.CellError):
        c.parse_month("Marchy")


def test_text_is_stripped_and_kept_verbatim_inside():
    hostile = "  '; DROP TABLE companies; --  "
    assert c.clean_text(hostile) == "'; DROP TABLE companies; --"
    assert c.clean_text('=HYPERLINK("http://x","y")') == '=HYPERLINK("http://x","y")'
    assert c.clean_text("-") is None
    with pytest.raises(c.CellError, match="longer than 5"):
        c.clean_text("abcdefg", max_len=5)


def test_split_list_on_semicolon_or_pipe_drops_blanks_and_repeats():
    assert c.split_list("Goldman Sachs; Morgan Stanley|  JPMorgan ;Goldman Sachs;") == [
        "Goldman Sachs", "Morgan Stanley", "JPMorgan"]  # fmt: skip
    assert c.split_list("Software, Advertising", ",") == ["Software", "Advertising"]
    assert c.split_list("-") == []


def test_exchange_ticker_is_split():
    assert c.split_exchange_ticker("NasdaqGS:AAPL") == ("NasdaqGS", "AAPL")
    assert c.split_exchange_ticker("MSFT") == (None, "MSFT")
    assert c.split_exchange_ticker("") == (None, None)


def test_founding_years_go_back_further_than_dates():
    assert c.parse_year("1784") == 1784  # the S&P 500's oldest founding year
    with pytest.raises(c.CellError, match="implausible year"):
        c.parse_year("1599")


def test_a_date_built_from_a_year_and_month_is_checked_like_any_date():
    assert c.month_start(1900) == dt.date(1900, 1, 1)
    assert c.month_start(2014, 3) == dt.date(2014, 3, 1)
    with pytest.raises(c.CellError, match="implausible date"):
        c.month_start(1899, 12)


# --- rows: rules that need more than one cell ----------------------------------------------------

def _parse(kind: str, rows: list[list[str]], overrides: dict[str, str | None] | None = None):
    from services.imports.mapping import build_mapping
    from services.imports.reading import RawTable
    from services.imports.rows import parse_rows

    header, *body = rows
    table = RawTable(header, [(i, list(r)) for i, r in enumerate(body, start=2)], "utf-8")
    return parse_rows(kind, table, build_mapping(kind, header, overrides))


def test_a_deal_dated_by_year_and_month_before_1900_is_rejected():
    parsed = _parse("deals", [["Acquirer", "Target", "Acquisition Year", "Acquisition Month"],
                              ["Old Co", "Older Co", "1850", "Mar"], ["New Co", "Newer Co", "1950", "Mar"]])  # fmt: skip
    [error] = parsed.errors[2]
    assert (error.column, error.value) == ("Acquisition Year", "1850")
    assert "implausible date (expected 1900" in error.reason
    assert [r.values["announced_date"] for r in parsed.records] == [dt.date(1950, 3, 1)]


def test_a_company_cannot_acquire_itself():
    parsed = _parse("deals", [["Acquirer", "Target", "Announced Date"], ["THQ", "thq ", "2013-01-23"],
                              ["Adobe", "Day Software", "2010-07-28"]])  # fmt: skip
    [error] = parsed.errors[2]
    assert (error.column, error.value) == ("Acquirer", "THQ")
    assert error.reason == "the acquirer is also the target: a company cannot acquire itself"
    assert len(parsed.records) == 1


def test_a_bank_may_run_its_own_bond():
    parsed = _parse("deals", [["Issuer", "Bookrunners", "Deal Type", "Announced Date"],
                              ["Goldman Sachs", "Goldman Sachs; JPMorgan", "IG bond", "2021-03-04"]])  # fmt: skip
    assert not parsed.errors and len(parsed.records) == 1


def test_company_country_region_and_sector_are_derived_from_headquarters_and_sub_industry():
    parsed = _parse("companies", [["Ticker", "Name", "Headquarters", "Sub Industry"],
                                  ["AAPL", "Apple", "Cupertino, California", "Technology Hardware, Storage & Peripherals"],
                                  ["ACN", "Accenture", "Dublin, Ireland", "IT Consulting & Other Services"],
                                  ["XX", "Somewhere", "Atlantis", "Underwater Basket Weaving"]])  # fmt: skip
    apple, accenture, unknown = (r.values for r in parsed.records)
    assert (apple["country"], apple["region"], apple["sector"]) == ("United States", "North America",
                                                                    "Information Technology")  # fmt: skip
    assert (accenture["country"], accenture["region"]) == ("Ireland", "Europe")
    assert not {"country", "region", "sector"} & set(unknown)
    assert parsed.records[0].derived == {"country", "region", "sector"}


def test_values_given_in_the_file_win_over_derived_ones_and_are_spelled_canonically():
    parsed = _parse("companies", [["Ticker", "Name", "Headquarters", "Country", "Region", "Sector", "Sub Industry"],
                                  ["A", "Alpha", "Cupertino, California", "Canada", "", "", "Application Software"],
                                  ["B", "Beta", "Cupertino, California", "USA", "APAC", "health care", "Banks"],
                                  ["C", "Gamma", "", "U.S.", "", "Tech", ""]])  # fmt: skip
    alpha, beta, gamma = parsed.records
    assert (alpha.values["country"], alpha.values["region"]) == ("Canada", "North America")
    assert alpha.derived == {"region", "sector"}
    assert (beta.values["country"], beta.values["region"], beta.values["sector"]) == (
        "United States", "Asia Pacific", "Health Care")  # fmt: skip
    assert beta.derived == set()
    assert (gamma.values["country"], gamma.values["sector"]) == ("United States", "Tech")  # unknown: verbatim


def test_deal_country_is_canonical_and_region_and_target_sector_are_derived():
    parsed = _parse("deals", [["Acquirer", "Target", "Announced Date", "Country", "Categories", "Industry"],
                              ["A", "B", "2012-07-23", "USA", "Biotechnology|Medical|Software", ""],
                              ["C", "D", "2012-07-24", "GBR", "", "Computer software"],
                              ["E", "F", "2012-07-25", "United States", "Biotechnology|Software", ""],
                              ["G", "H", "2012-07-26", "SF Bay Area", "", ""]])  # fmt: skip
    usa, gbr, tie, odd = (r.values for r in parsed.records)
    assert (usa["country"], usa["region"], usa["sector"]) == ("United States", "North America", "Health Care")
    assert (gbr["country"], gbr["region"], gbr["sector"]) == ("United Kingdom", "Europe", "Information Technology")
    assert tie["country"] == "United States" and "sector" not in tie  # two sectors tie: no guess
    assert odd["country"] == "SF Bay Area" and "region" not in odd
    assert parsed.notes == ["country not recognised, kept as given and no region derived: 'SF Bay Area' (1 row)"]


# --- reference data: countries, regions, GICS ----------------------------------------------------

@pytest.mark.parametrize(("text", "name"), [
    ("USA", "United States"), ("US", "United States"), ("U.S.", "United States"), ("u.s.a.", "United States"),
    ("United States of America", "United States"), ("United States", "United States"),
    ("UK", "United Kingdom"), ("GB", "United Kingdom"), ("GBR", "United Kingdom"), ("Great Britain", "United Kingdom"),
    ("The Netherlands", "Netherlands"), ("NLD", "Netherlands"), ("ROM", "Romania"), ("Türkiye", "Turkey"),
    ("Korea, Republic of", "South Korea"), ("KOR", "South Korea"), ("de", "Germany"), ("Czechia", "Czech Republic"),
])  # fmt: skip
def test_country_names_and_iso_codes_are_one_canonical_name(text, name):
    from workbench.geography import canonical_country

    assert canonical_country(text) == name


def test_unknown_countries_stay_unknown():
    from workbench.geography import canonical_country

    assert canonical_country("SF Bay Area") is None
    assert canonical_country("") is None and canonical_country(None) is None


def test_every_country_has_a_region_of_the_workbench_vocabulary():
    from workbench.domain import REGIONS
    from workbench.geography import COUNTRIES, canonical_region, region_of_country

    assert {c.region for c in COUNTRIES} == set(REGIONS)
    assert region_of_country("United States") == "North America" and region_of_country("Israel") == "Middle East & Africa"
    assert region_of_country("Atlantis") is None
    assert canonical_region("asia-pacific") == "Asia Pacific" and canonical_region("LatAm") == "Latin America"
    assert canonical_region("EMEA") is None  # spans two of the workbench's regions


def test_every_country_code_is_unique():
    from workbench.geography import COUNTRIES

    codes = [code for c in COUNTRIES for code in (c.alpha2, c.alpha3, *c.old_codes)]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("location", "country"), [
    ("Cupertino, California", "United States"), ("West Falls Church, Virginia[2]", "United States"),
    ("Washington, D.C.", "United States"), ("Atlanta, Georgia", "United States"), ("Dublin, Ireland", "Ireland"),
    ("Warmley, Bristol, United Kingdom", "United Kingdom"), ("Toronto, Ontario", "Canada"),
    ("Hamilton, Bermuda", "Bermuda"), ("Wilmington, DE", None), ("Atlantis", None), ("", None),
])  # fmt: skip
def test_country_of_a_headquarters_location(location, country):
    from workbench.geography import country_of_location

    assert country_of_location(location) == country


def test_every_gics_name_resolves_to_its_sector():
    from workbench.gics import HIERARCHY, sector_of_gics

    for sector, groups in HIERARCHY.items():
        for group, industries in groups.items():
            assert sector_of_gics(group) == sector, group
            for industry, subs in industries.items():
                assert sector_of_gics(industry) == sector, industry
                for sub in subs:
                    assert sector_of_gics(sub) == sector, sub
                    assert sector_of_gics(sub.upper()) == sector, sub
    assert sector_of_gics("Home Entertainment Software") == "Communication Services"  # retired in 2018
    assert sector_of_gics("Underwater Basket Weaving") is None


@pytest.mark.parametrize(("term", "sector"), [
    ("Computer software", "Information Technology"), ("Curated Web", "Communication Services"),
    ("Advertising solutions", "Communication Services"), ("Biotechnology", "Health Care"),
    ("Internet service provider (ISP)", "Communication Services"), ("E-Commerce", "Consumer Discretionary"),
    ("Titling software for film and video", "Information Technology"), ("Health Care Technology", "Health Care"),
    ("Clean Technology", None), ("Mobile", None), ("Services", None),
])  # fmt: skip
def test_other_industry_terms_point_to_a_sector_or_to_none(term, sector):
    from workbench.gics import sector_of_term

    assert sector_of_term(term) == sector
