"""The Home page's overview, aggregated in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from services.overview import store_overview
from workbench.models import (
    AlertEvent,
    AlertRule,
    Company,
    Deal,
    DealParty,
    Document,
    Price,
    Watchlist,
)


def _company(
    key: str, status: str | None, sector: str | None = "Energy", region: str | None = "Europe"
) -> Company:
    return Company(key=key, name=key.title(), listing_status=status, sector=sector, region=region)


def _deal(key: str, deal_type: str, day: dt.date | None, size: float | None, **kw) -> Deal:
    return Deal(
        key=key, name=f"Deal {key}", deal_type=deal_type, announced_date=day, size_usd_m=size, **kw
    )


@pytest.fixture
def filled(store):
    with store.session_factory.begin() as s:
        listed = _company("alpha", "listed")
        s.add_all(
            [
                listed,
                _company("beta", "private"),
                _company("gamma", "private", sector=None, region=None),
                _company("delta", "delisted"),
            ]
        )
        s.flush()
        s.add_all(
            [
                Price(company_id=listed.id, date=dt.date(2026, 11, 19), close=10.0),
                Price(company_id=listed.id, date=dt.date(2026, 11, 20), close=11.0),
                Document(
                    key="doc1",
                    doc_type="transcript",
                    title="Q3 call",
                    text="...",
                    company_id=listed.id,
                ),
                Watchlist(name="Energy names"),
            ]
        )
        deals = [
            _deal("d1", "ipo", dt.date(2026, 11, 17), 300.0, sector="Energy", region="Europe"),
            _deal("d2", "ipo", dt.date(2026, 10, 2), 200.0),
            _deal("d3", "ma", dt.date(2026, 8, 31), 1000.0),
            _deal(
                "d4", "ig_bond", dt.date(2026, 7, 1), None
            ),  # size unknown: counted, adds no volume
            _deal("d5", "ma", dt.date(2024, 1, 1), 50.0),  # first day of the 12-quarter window
            _deal("d6", "ma", dt.date(2023, 12, 31), 70.0),  # the day before: outside it
            _deal("d7", "hy_bond", None, 90.0),  # undated: counted, never charted, listed last
        ]
        s.add_all(deals)
        s.flush()
        s.add_all(
            [
                DealParty(deal_id=deals[0].id, role="issuer", name="Alpha"),
                DealParty(deal_id=deals[0].id, role="bookrunner", name="Bank One"),
                DealParty(deal_id=deals[0].id, role="bookrunner", name="Bank Two"),
                DealParty(deal_id=deals[2].id, role="advisor", name="Adviser & Co"),
            ]
        )
        rule = AlertRule(name="drops", rule_type="price_move")
        s.add(rule)
        s.flush()
        s.add_all(
            [
                AlertEvent(
                    rule_id=rule.id, dedupe_key="open", as_of=dt.date(2026, 11, 20), reason="r"
                ),
                AlertEvent(
                    rule_id=rule.id,
                    dedupe_key="done",
                    as_of=dt.date(2026, 11, 20),
                    reason="r",
                    acknowledged_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                ),
            ]
        )
    return store


def test_overview_counts_every_kind_of_row(filled):
    ov = store_overview(session_factory=filled.session_factory)

    assert (ov.companies, ov.listed_companies, ov.private_companies) == (4, 1, 2)
    assert ov.deals == 7
    assert ov.deals_by_type == {"IPO": 2, "HY bond": 1, "IG bond": 1, "M&A": 3}
    assert list(ov.deals_by_type) == ["IPO", "IG bond", "HY bond", "M&A"], (
        "in the vocabulary's order"
    )
    assert (ov.documents, ov.prices, ov.watchlists, ov.open_alerts) == (1, 2, 1, 1)
    assert ov.latest_price_date == dt.date(2026, 11, 20)
    assert ov.latest_deal_date == dt.date(2026, 11, 17)
    assert not ov.is_empty


def test_overview_lists_latest_deals_newest_first_with_their_banks(filled):
    ov = store_overview(session_factory=filled.session_factory, latest=3)

    deals = ov.latest_deals
    assert list(deals["name"]) == ["Deal d1", "Deal d2", "Deal d3"]
    first = deals.iloc[0]
    assert (first["type"], first["size_usd_m"], first["sector"], first["region"]) == (
        "IPO",
        300.0,
        "Energy",
        "Europe",
    )
    assert first["banks"] == "Bank One, Bank Two"  # the issuer is not a bank
    assert deals.iloc[2]["banks"] == "Adviser & Co"
    assert deals.iloc[1]["banks"] == ""


def test_overview_puts_undated_deals_last(filled):
    ov = store_overview(session_factory=filled.session_factory, latest=15)

    assert list(ov.latest_deals["name"])[-1] == "Deal d7"


def test_quarterly_volume_covers_three_years_ending_with_the_latest_deal(filled):
    ov = store_overview(session_factory=filled.session_factory)

    vol = ov.quarterly_volume.set_index(["quarter", "deal_type"])
    assert vol.loc[("2026 Q4", "IPO"), "volume_usd_m"] == 500.0
    assert vol.loc[("2026 Q4", "IPO"), "deals"] == 2
    assert vol.loc[("2026 Q3", "M&A"), "volume_usd_m"] == 1000.0
    assert vol.loc[("2026 Q3", "IG bond"), ["volume_usd_m", "deals"]].tolist() == [0.0, 1]
    assert vol.loc[("2024 Q1", "M&A"), "volume_usd_m"] == 50.0
    assert "2023 Q4" not in set(ov.quarterly_volume["quarter"])
    assert list(ov.quarterly_volume["quarter"]) == sorted(ov.quarterly_volume["quarter"]), (
        "oldest first"
    )


def test_sector_mix_counts_companies_and_names_the_unclassified(filled):
    ov = store_overview(session_factory=filled.session_factory)

    mix = {(r.sector, r.region): r.companies for r in ov.sector_mix.itertuples()}
    assert mix == {("Energy", "Europe"): 3, ("Unclassified", "Unclassified"): 1}


def test_overview_of_an_empty_store_is_empty_and_has_empty_frames(store):
    ov = store_overview(session_factory=store.session_factory)

    assert ov.is_empty
    assert ov.companies == ov.deals == ov.prices == 0
    assert ov.latest_price_date is None and ov.latest_deal_date is None
    assert ov.latest_deals.empty and ov.quarterly_volume.empty and ov.sector_mix.empty
    assert list(ov.quarterly_volume.columns) == ["quarter", "deal_type", "volume_usd_m", "deals"]
