"""Market views on crafted data, on SQLite and PostgreSQL: returns, sector index, deal flow, league tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_alerts import AS_OF, build

from services import market
from workbench.errors import WorkbenchError
from workbench.models import Deal, DealParty


@pytest.fixture
def data(store):
    with store.session_factory.begin() as session:
        built = build(session)
        for key, kind, days_ago, size, banks in [
            ("lt-1", "ipo", 10, 300.0, ["Bank A", "Bank B", "Bank C"]),
            ("lt-2", "ig_bond", 12, 1000.0, ["Bank A"]),
            ("lt-3", "ig_bond", 400, 5000.0, ["Bank C"]),
        ]:
            d = Deal(key=key, name=key, deal_type=kind, sector="Energy", region="Asia Pacific", size_usd_m=size,
                     announced_date=AS_OF - dt.timedelta(days=days_ago))  # fmt: skip
            session.add(d)
            session.flush()
            session.add_all(DealParty(deal_id=d.id, role="bookrunner", name=b) for b in banks)
        session.add(DealParty(deal_id=built["deals"]["ma-energy"], role="advisor", name="Adviser X"))
    return store.session_factory, built


def test_latest_price_date_is_the_newest_close(data):
    sf, _built = data
    assert market.latest_price_date(session_factory=sf) == AS_OF


def test_watchlist_table_has_returns_distance_to_high_and_next_maturity(data):
    sf, built = data
    table = market.watchlist_table(built["watchlist"], session_factory=sf, as_of=AS_OF).set_index("ticker")
    assert list(table.index) == ["DROP", "MOVER", "SPIKE"]
    mover = table.loc["MOVER"]
    assert mover["close"] == 116.0 and mover["ret_1d_pct"] == pytest.approx(3.57, abs=0.01)
    assert mover["ret_1w_pct"] == pytest.approx(14.85, abs=0.01)
    assert mover["from_high_pct"] == 0.0 and mover["next_maturity"] == AS_OF + dt.timedelta(days=90)
    assert mover["next_maturity_usd_m"] == 500.0
    drop = table.loc["DROP"]
    assert drop["from_high_pct"] == pytest.approx(-41.18, abs=0.01) and pd.isna(drop["next_maturity"])


def test_watchlist_table_of_an_empty_watchlist_is_empty(data):
    sf, _built = data
    assert market.watchlist_table(999, session_factory=sf).empty


def test_price_against_the_sector_index_is_rebased_and_skips_splits(data):
    sf, built = data
    series = market.price_vs_sector(built["ids"]["drop"], session_factory=sf, start=AS_OF - dt.timedelta(days=30),
                                    end=AS_OF)  # fmt: skip
    assert series["company"].iloc[0] == 100.0 and series["sector_index"].iloc[0] == 100.0
    assert series["company"].iloc[-1] < 62
    # The index averages drop's daily falls with split's flat days; the halving is left out
    # (with it the index would end near 40).
    assert 65 < series["sector_index"].iloc[-1] < 80
    with pytest.raises(WorkbenchError, match="no company"):
        market.price_vs_sector(10**6, session_factory=sf)


def test_sector_returns_are_equal_weight_means(data):
    sf, _built = data
    heat = market.sector_returns(session_factory=sf, as_of=AS_OF)
    assert set(heat.index) == {"Energy", "Financials"}
    assert heat.loc["Financials", "members"] == 2
    assert heat.loc["Financials", "1w"] == pytest.approx((-40.59 - 50.0) / 2, abs=0.5)
    assert {"1d", "1w", "1m", "3m", "YTD"} <= set(heat.columns)


def test_deal_flow_filters_by_type_sector_region_and_period(data):
    sf, _built = data
    flow = market.deal_flow(session_factory=sf, start=AS_OF - dt.timedelta(days=7), end=AS_OF)
    assert list(flow["name"]) == ["Deal ma-energy", "Deal ipo-energy", "Deal bond-fin"]
    ipos = market.deal_flow(session_factory=sf, deal_types=["ipo"], sectors=["Energy"], regions=["Europe"])
    assert list(ipos["type"]) == ["IPO", "IPO"]
    hostile = market.deal_flow(session_factory=sf, sectors=["Energy' OR '1'='1"])
    assert hostile.empty


def test_issuance_volume_groups_by_monday_week_and_type(data):
    sf, _built = data
    vol = market.issuance_volume(session_factory=sf, start=AS_OF - dt.timedelta(days=14), end=AS_OF)
    assert set(vol["week"]) == {dt.date(2026, 11, 16), dt.date(2026, 11, 9), dt.date(2026, 11, 2)}
    week = vol[vol["week"] == dt.date(2026, 11, 16)].set_index("deal_type")
    assert week.loc["ipo", "volume_usd_m"] == 400.0 and week.loc["ma", "deals"] == 1


def test_league_table_apportions_volume_among_bookrunners(data):
    sf, _built = data
    table = market.league_table(session_factory=sf, role="bookrunner", start=AS_OF - dt.timedelta(days=30), end=AS_OF)
    rows = table.set_index("bank")
    assert list(table["bank"]) == ["Bank A", "Bank B", "Bank C"]
    assert rows.loc["Bank A", "volume_usd_m"] == 1100.0 and rows.loc["Bank A", "deals"] == 2
    assert rows.loc["Bank C", "volume_usd_m"] == 100.0
    assert table["share_pct"].sum() == pytest.approx(100.0)
    advisors = market.league_table(session_factory=sf, role="advisor", start=AS_OF - dt.timedelta(days=30), end=AS_OF)
    assert list(advisors["bank"]) == ["Adviser X"]
    with pytest.raises(WorkbenchError, match="league tables rank"):
        market.league_table(session_factory=sf, role="issuer'--", start=AS_OF, end=AS_OF)


def test_find_companies_by_ticker_or_name_treats_wildcards_literally(data):
    sf, _built = data
    assert list(market.find_companies("mover", session_factory=sf)["ticker"]) == ["MOVER"]
    assert market.find_companies("%", session_factory=sf).empty
