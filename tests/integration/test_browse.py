"""Browsing tables: registry columns, bound filter values, ranges, paging, audited CSV export."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services.browse import ColumnFilter, browsable_tables, browse_columns, browse_table, export_table_csv
from workbench.access import Viewer
from workbench.errors import WorkbenchError
from workbench.models import AuditEntry, Company, Deal

NAMES = ["Alpha 100% Corp", "Beta_Co", "'; DROP TABLE companies; --", '=HYPERLINK("http://x","y")', "alphabet"]


@pytest.fixture
def filled(store):
    with store.session_factory.begin() as s:
        for i, name in enumerate(NAMES):
            s.add(Company(key=f"K{i}", name=name, ticker=f"T{i}", market_cap_usd_m=100.0 * (i + 1)))
        s.add(Deal(key="D1", name="Deal one", deal_type="ipo", announced_date=dt.date(2020, 5, 1), size_usd_m=50))
        s.add(Deal(key="D2", name="Deal two", deal_type="ma", announced_date=dt.date(2022, 5, 1), size_usd_m=500))
    return store


def test_every_store_table_is_browsable(filled):
    compliance = Viewer("cco", "compliance")
    assert {"companies", "deals", "deal_parties", "documents", "prices", "audit_log"} <= set(browsable_tables(compliance))
    assert "audit_log" not in browsable_tables()  # the audit trail is for compliance
    for table in browsable_tables(compliance):
        frame, total = browse_table(filled.session_factory, table, limit=5, viewer=compliance)
        assert len(frame) == min(total, 5)
        assert list(frame.columns) == [c.name for c in browse_columns(table, compliance)]


def test_contains_is_case_insensitive_and_treats_wildcards_literally(filled):
    _, total = browse_table(filled.session_factory, "companies", filters=[ColumnFilter("name", contains="ALPHA")])
    assert total == 2
    frame, total = browse_table(filled.session_factory, "companies", filters=[ColumnFilter("name", contains="100%")])
    assert list(frame["name"]) == ["Alpha 100% Corp"]
    frame, _ = browse_table(filled.session_factory, "companies", filters=[ColumnFilter("name", contains="_")])
    assert list(frame["name"]) == ["Beta_Co"]


@pytest.mark.parametrize("hostile", NAMES[2:] + ["' OR '1'='1", "%", "\\"])
def test_hostile_filter_values_are_data_not_sql(filled, hostile):
    frame, total = browse_table(filled.session_factory, "companies", filters=[ColumnFilter("name", contains=hostile)])
    assert total == sum(hostile.lower() in n.lower() for n in NAMES)
    _, all_rows = browse_table(filled.session_factory, "companies")
    assert all_rows == len(NAMES)


def test_numeric_and_date_ranges_and_paging(filled):
    _, total = browse_table(filled.session_factory, "companies",
                            filters=[ColumnFilter("market_cap_usd_m", low=200, high=400)])  # fmt: skip
    assert total == 3
    frame, total = browse_table(filled.session_factory, "deals",
                                filters=[ColumnFilter("announced_date", low=dt.date(2021, 1, 1))])  # fmt: skip
    assert (total, list(frame["key"])) == (1, ["D2"])
    page, total = browse_table(filled.session_factory, "companies", limit=2, offset=4)
    assert (len(page), total) == (1, 5)


def test_unknown_table_or_column_is_a_clear_error(filled):
    with pytest.raises(WorkbenchError, match="unknown table"):
        browse_table(filled.session_factory, "companies; drop table deals")
    with pytest.raises(WorkbenchError, match="has no column 'nme'"):
        browse_table(filled.session_factory, "companies", filters=[ColumnFilter("nme", contains="a")])
    with pytest.raises(WorkbenchError, match="not a number"):
        browse_table(filled.session_factory, "companies", filters=[ColumnFilter("market_cap_usd_m", low="big")])


def test_csv_export_neutralises_formulas_and_is_audited(filled):
    data = export_table_csv(filled.session_factory, "companies", user="tester",
                            filters=[ColumnFilter("name", contains="hyperlink")])  # fmt: skip
    text = data.decode("utf-8")
    assert "'=HYPERLINK" in text and text.count("\n") == 2
    with filled.session_factory() as s:
        entry = s.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.object_type, entry.row_count) == ("export", "companies", 1)


def test_csv_export_with_date_and_number_filters_is_audited_with_the_filters(filled):
    filters = [ColumnFilter("announced_date", low=dt.date(2021, 1, 1), high=dt.date(2023, 12, 31))]
    data = export_table_csv(filled.session_factory, "deals", user="tester", filters=filters)
    assert "Deal two" in data.decode("utf-8") and "Deal one" not in data.decode("utf-8")
    with filled.session_factory() as s:
        entry = s.scalars(select(AuditEntry)).one()
    assert entry.details["filters"][0]["low"] == "2021-01-01"
    assert entry.details["filters"][0]["high"] == "2023-12-31"


def test_boolean_filter_means_the_same_on_every_backend(filled):
    from workbench.models import DebtInstrument

    with filled.session_factory.begin() as s:
        company_id = s.scalar(select(Company.id).where(Company.key == "K0"))
        for secured in (True, False, False):
            s.add(DebtInstrument(company_id=company_id, instrument="Term loan", amount_usd_m=10,
                                 maturity_date=dt.date(2030, 1, 1), secured=secured))  # fmt: skip
    for word, expected in (("true", 1), ("YES", 1), ("false", 2), ("0", 2)):
        _, total = browse_table(filled.session_factory, "debt_instruments",
                                filters=[ColumnFilter("secured", contains=word)])  # fmt: skip
        assert total == expected, word
    with pytest.raises(WorkbenchError, match="not true or false"):
        browse_table(filled.session_factory, "debt_instruments", filters=[ColumnFilter("secured", contains="maybe")])
