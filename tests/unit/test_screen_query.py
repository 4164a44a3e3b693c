"""Screens on a crafted store: operators, groups, as-of features, ranking, cache and SQL paths agree."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from screen_store import AS_OF, add_company, add_deal, add_debt, add_prices, seeded
from services.screening import FeatureCache, ScreenSpec, parse_spec, run_screen, top_n_indices
from workbench.models import AuditEntry, Company


def _build(s):
    ids = {}
    ids["A"] = add_company(s, "A", sector="Energy", region="Europe", market_cap_usd_m=5000.0, revenue_usd_m=2000.0,
                           ebitda_usd_m=400.0, net_debt_usd_m=1200.0, cash_usd_m=100.0, rating="BBB-",
                           ownership="public", revenue_growth_pct=4.0)
    ids["B"] = add_company(s, "B", sector="energy", region="Europe", market_cap_usd_m=800.0, revenue_usd_m=300.0,
                           ebitda_usd_m=-5.0, net_debt_usd_m=50.0, cash_usd_m=10.0, rating="BB+",
                           ownership="sponsor_backed", sponsor="Granite Peak Partners", revenue_growth_pct=25.0)
    ids["C"] = add_company(s, "C", sector="Utilities", region="North America", market_cap_usd_m=None,
                           revenue_usd_m=50.0, ebitda_usd_m=10.0, net_debt_usd_m=0.0, cash_usd_m=40.0, rating=None,
                           ownership="family", listing_status="private")
    ids["D"] = add_company(s, "D", sector=None, region="Asia Pacific", market_cap_usd_m=20000.0,
                           revenue_usd_m=9000.0, ebitda_usd_m=2000.0, net_debt_usd_m=-500.0, cash_usd_m=3000.0,
                           rating="A+", ownership="public")
    # A: 300 maturing within 24 months, 500 later, one tranche already repaid, one not yet issued.
    add_debt(s, ids["A"], 300.0, AS_OF + dt.timedelta(days=400), coupon=8.0)
    add_debt(s, ids["A"], 500.0, AS_OF + dt.timedelta(days=2000), coupon=6.0)
    add_debt(s, ids["A"], 999.0, AS_OF - dt.timedelta(days=10), coupon=9.0)
    add_debt(s, ids["A"], 777.0, AS_OF + dt.timedelta(days=100), coupon=9.0, issued=AS_OF + dt.timedelta(days=5))
    add_deal(s, ids["B"], "ipo", AS_OF - dt.timedelta(days=400))
    add_deal(s, ids["B"], "follow_on", AS_OF + dt.timedelta(days=3))  # after as-of: invisible
    add_deal(s, ids["D"], "ma", AS_OF - dt.timedelta(days=100), role="acquirer")
    add_deal(s, ids["D"], "ma", AS_OF - dt.timedelta(days=800), role="acquirer")
    add_deal(s, ids["D"], "ma", AS_OF - dt.timedelta(days=2500), role="acquirer")  # older than 5 years
    add_deal(s, ids["D"], "ma", AS_OF - dt.timedelta(days=50), role="acquirer", status="withdrawn")
    add_prices(s, ids["A"], {400: 50.0, 365: 100.0, 200: 150.0, 90: 80.0, 30: 90.0, 0: 120.0})
    add_prices(s, ids["A"], {-5: 999.0})  # a price after as-of must not count
    add_prices(s, ids["B"], {365: 10.0, 90: 10.0, 30: 10.0, 20: 9.0})  # last close 20 days old: stale
    return ids


@pytest.fixture
def crafted(sqlite_store):
    ids = seeded(sqlite_store.session_factory, _build)
    return sqlite_store, ids


def _keys(store, conditions, combine="and", cache=None, **kw):
    spec = parse_spec({"filters": {"combine": combine, "conditions": conditions}, "top_n": 50})
    result = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF, cache=cache, **kw)
    return sorted(result.rows["key"])


CASES = [
    ([{"field": "sector", "op": "=", "value": "ENERGY"}], ["A", "B"]),
    ([{"field": "sector", "op": "!=", "value": "Energy"}], ["C"]),
    ([{"field": "sector", "op": "is empty"}], ["D"]),
    ([{"field": "sector", "op": "is not empty"}], ["A", "B", "C"]),
    ([{"field": "sector", "op": "in", "value": ["Utilities", "energy"]}], ["A", "B", "C"]),
    ([{"field": "sector", "op": "not in", "value": ["Utilities"]}], ["A", "B"]),
    ([{"field": "sponsor", "op": "contains", "value": "peak"}], ["B"]),
    ([{"field": "market_cap_usd_m", "op": ">", "value": 800}], ["A", "D"]),
    ([{"field": "market_cap_usd_m", "op": ">=", "value": 800}], ["A", "B", "D"]),
    ([{"field": "market_cap_usd_m", "op": "<", "value": 5000}], ["B"]),
    ([{"field": "market_cap_usd_m", "op": "<=", "value": 5000}], ["A", "B"]),
    ([{"field": "market_cap_usd_m", "op": "between", "value": [800, 5000]}], ["A", "B"]),
    ([{"field": "market_cap_usd_m", "op": "=", "value": 800}], ["B"]),
    ([{"field": "market_cap_usd_m", "op": "!=", "value": 800}], ["A", "D"]),
    ([{"field": "market_cap_usd_m", "op": "is empty"}], ["C"]),
    ([{"field": "net_debt_to_ebitda", "op": ">", "value": 2.5}], ["A"]),
    ([{"field": "net_debt_to_ebitda", "op": "is empty"}], ["B"]),
    ([{"field": "rating", "op": ">=", "value": "BBB-"}], ["A", "D"]),
    ([{"field": "rating", "op": "<", "value": "BBB-"}], ["B"]),
    ([{"field": "rating", "op": "between", "value": ["A+", "BBB-"]}], ["A", "D"]),
    ([{"field": "rating", "op": "=", "value": "bb+"}], ["B"]),
    ([{"field": "rating", "op": "is empty"}], ["C"]),
    ([{"field": "ownership", "op": "in", "value": ["family", "sponsor_backed"]}], ["B", "C"]),
    ([{"field": "listing_status", "op": "=", "value": "private"}], ["C"]),
    ([{"field": "debt_maturing_24m_usd_m", "op": "=", "value": 300}], ["A"]),
    ([{"field": "debt_maturing_24m_to_cash", "op": ">=", "value": 3}], ["A"]),
    ([{"field": "debt_maturing_12m_usd_m", "op": ">", "value": 0}], []),
    ([{"field": "days_since_last_ipo", "op": "<=", "value": 400}], ["B"]),
    ([{"field": "days_since_last_follow_on", "op": "is not empty"}], []),
    ([{"field": "acquisitions_5y", "op": "=", "value": 2}], ["D"]),
    ([{"field": "price_return_365d_pct", "op": "between", "value": [19.999, 20.001]}], ["A"]),
    ([{"field": "price_return_90d_pct", "op": "is not empty"}], ["A"]),
    ([{"field": "pct_of_52w_high", "op": "=", "value": 80}], ["A"]),
    # Nested groups: (Energy AND cap > 1000) OR family-owned
    ([{"combine": "and", "conditions": [{"field": "sector", "op": "=", "value": "Energy"},
                                         {"field": "market_cap_usd_m", "op": ">", "value": 1000}]},
      {"field": "ownership", "op": "=", "value": "family"}], ["A", "C"]),
]  # fmt: skip


@pytest.mark.parametrize(("conditions", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_filter_matches_exactly_the_expected_companies_on_both_paths(crafted, conditions, expected):
    store, _ = crafted
    combine = "or" if len(conditions) == 2 and "combine" in conditions[0] else "and"
    assert _keys(store, conditions, combine) == expected
    assert _keys(store, conditions, combine, cache=FeatureCache()) == expected


def test_features_only_use_data_dated_on_or_before_the_as_of_date(crafted):
    store, ids = crafted
    spec = ScreenSpec(score={"name": "ecm"})
    result = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF)
    row = result.rows.set_index("key").loc["A"]
    assert row["score"] > 0
    factors = result.factors[result.factors["key"] == "B"].set_index("factor")
    # B's follow-on is announced after the as-of date: the IPO 400 days ago is the last equity deal.
    assert factors.loc["equity_gap", "value"] == 400
    # A year earlier the IPO had not happened: no equity deal on record.
    earlier = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF - dt.timedelta(days=401))
    assert np.isnan(earlier.factors.set_index(["key", "factor"]).loc[("B", "equity_gap"), "value"])


def test_a_stale_last_price_gives_no_return(crafted):
    store, _ = crafted
    assert _keys(store, [{"field": "last_close", "op": "is not empty"}]) == ["A"]


def test_ranking_breaks_ties_by_company_key_and_keeps_top_n(crafted):
    store, _ = crafted
    spec = ScreenSpec(top_n=2)  # market cap order; C has none and ranks last
    result = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF)
    assert list(result.rows["key"]) == ["D", "A"] and result.matched == 4
    tied = top_n_indices(np.array([1.0, 2.0, 2.0, 2.0, np.nan]), np.array([4, 3, 1, 2, 0]), 2)
    assert list(tied) == [2, 3]


def test_the_same_screen_twice_gives_identical_results(crafted):
    store, _ = crafted
    spec = ScreenSpec(score={"name": "ma_buy"}, top_n=10)
    one = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF)
    two = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF, cache=FeatureCache())
    pd.testing.assert_frame_equal(one.rows, two.rows)
    pd.testing.assert_frame_equal(one.factors, two.factors)


def test_cache_is_reused_until_the_store_changes(crafted):
    store, _ = crafted
    cache = FeatureCache()
    spec = ScreenSpec(filters={"conditions": [{"field": "sector", "op": "=", "value": "Energy"}]})
    first = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF, cache=cache)
    second = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF, cache=cache)
    assert (first.provenance["feature_cache"], second.provenance["feature_cache"]) == ("miss", "hit")
    seeded(store.session_factory, lambda s: add_company(s, "E", sector="Energy"))
    third = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF, cache=cache)
    assert third.provenance["feature_cache"] == "miss"
    assert sorted(third.rows["key"]) == ["A", "B", "E"]


def test_every_run_is_audited_and_nothing_else_is_written(crafted):
    store, _ = crafted
    with store.session_factory() as s:
        before = s.scalar(select(func.count()).select_from(Company))
    run_screen(ScreenSpec(name="Audit me"), session_factory=store.session_factory, as_of=AS_OF, user="ana")
    with store.session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "screen_run")).one()
        assert s.scalar(select(func.count()).select_from(Company)) == before
    assert (entry.user, entry.object_ref, entry.row_count) == ("ana", "Audit me", 4)


def test_json_records_carry_factor_contributions_that_add_up_to_the_score(crafted):
    store, _ = crafted
    result = run_screen(ScreenSpec(score={"name": "dcm"}), session_factory=store.session_factory, as_of=AS_OF)
    for rec in result.to_records():
        assert len(rec["factors"]) == 5
        assert sum(f["contribution"] for f in rec["factors"]) == pytest.approx(rec["score"], abs=1e-3)
