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
