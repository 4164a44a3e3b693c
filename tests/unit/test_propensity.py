"""Each propensity factor on crafted companies: high where it must be high, low where low."""

from __future__ import annotations

import datetime as dt

import pytest

from screen_store import AS_OF, add_company, add_deal, add_debt, add_prices, seeded
from services.propensity import SCORES, factor_table
from services.screening import ScreenSpec, run_screen

D = dt.timedelta


def _factors(store, score: str, weights: dict | None = None):
    spec = ScreenSpec(score={"name": score, "weights": weights or {}}, top_n=100)
    result = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF)
    return result, result.factors.set_index(["key", "factor"])


def _norm(table, key, factor):
    return float(table.loc[(key, factor), "normalised"])


def test_ecm_factors(sqlite_store):
    def build(s):
        hi = add_company(s, "HI", ebitda_usd_m=100.0, net_debt_usd_m=450.0, revenue_growth_pct=40.0,
                         ownership="sponsor_backed", listing_status="listed")
        lo = add_company(s, "LO", ebitda_usd_m=100.0, net_debt_usd_m=50.0, revenue_growth_pct=-5.0)
        add_prices(s, hi, {365: 50.0, 200: 100.0, 90: 70.0, 0: 100.0})  # at its high, +43% in 90 days
        add_prices(s, lo, {365: 100.0, 200: 200.0, 90: 150.0, 0: 100.0})  # half its high, -33%
        add_deal(s, lo, "follow_on", AS_OF - D(days=60))
        add_deal(s, hi, "ipo", AS_OF - D(days=2000))
        return {}

    seeded(sqlite_store.session_factory, build)
    _, t = _factors(sqlite_store, "ecm")
    for factor in ("leverage", "near_high", "momentum", "growth", "sponsor_monetisation", "equity_gap"):
        assert _norm(t, "HI", factor) == 1.0, factor
        assert _norm(t, "LO", factor) == 0.0, factor
    assert t.loc[("HI", "leverage"), "value"] == pytest.approx(4.5)
    assert t.loc[("LO", "equity_gap"), "value"] == 60


def test_ecm_sponsor_private_counts_half_and_never_issued_counts_as_a_long_gap(sqlite_store):
    seeded(sqlite_store.session_factory,
           lambda s: add_company(s, "P", ownership="sponsor_backed", listing_status="private"))
    _, t = _factors(sqlite_store, "ecm")
    assert _norm(t, "P", "sponsor_monetisation") == 0.5
    assert _norm(t, "P", "equity_gap") == 1.0
    assert _norm(t, "P", "leverage") == 0.0  # no EBITDA: no reward for a blank


def test_dcm_factors(sqlite_store):
    def build(s):
        hi = add_company(s, "HI", cash_usd_m=100.0, ebitda_usd_m=100.0, net_debt_usd_m=600.0, rating="AAA")
        lo = add_company(s, "LO", cash_usd_m=1000.0, ebitda_usd_m=500.0, net_debt_usd_m=0.0, rating=None)
        add_debt(s, hi, 250.0, AS_OF + D(days=300), coupon=9.0)  # 2.5x cash, 2.5x EBITDA... within 24m
        add_debt(s, hi, 100.0, AS_OF + D(days=600), coupon=9.0)  # total 3.5x EBITDA within 24m
        add_debt(s, lo, 400.0, AS_OF + D(days=3000), coupon=3.0)  # far out and cheap
        # Recent comparable issues: IG at 5%, HY at 6%; an older one must not count.
        add_deal(s, None, "ig_bond", AS_OF - D(days=100), coupon=5.0, rating="A")
        add_deal(s, None, "hy_bond", AS_OF - D(days=100), coupon=6.0, rating="B")
        add_deal(s, None, "ig_bond", AS_OF - D(days=500), coupon=1.0, rating="A")
        return {}

    seeded(sqlite_store.session_factory, build)
    result, t = _factors(sqlite_store, "dcm")
    for factor in ("maturity_wall_cash", "maturity_wall_ebitda", "leverage", "rating", "coupon_gap"):
        assert _norm(t, "HI", factor) == 1.0, factor
        assert _norm(t, "LO", factor) == 0.0, factor
    assert t.loc[("HI", "maturity_wall_cash"), "value"] == pytest.approx(3.5)
    assert t.loc[("HI", "coupon_gap"), "value"] == pytest.approx(4.0)  # 9% vs IG new issues at 5%
    assert t.loc[("LO", "coupon_gap"), "value"] == pytest.approx(-3.0)  # unrated prices as HY: 3% vs 6%
    assert result.provenance["comparable_coupon_ig_pct"] == 5.0
    assert list(result.rows["key"]) == ["HI", "LO"]


def test_ma_sell_factors(sqlite_store):
    def build(s):
        hi = add_company(s, "HI", ownership="sponsor_backed", revenue_usd_m=80.0, ebitda_margin_pct=3.0)
        lo = add_company(s, "LO", ownership="state", revenue_usd_m=8000.0, ebitda_margin_pct=30.0)
        add_deal(s, hi, "ma", AS_OF - D(days=int(8 * 365.25)), role="target")  # bought out 8 years ago
        add_deal(s, lo, "ma", AS_OF - D(days=int(8 * 365.25)), role="target")  # not sponsor-backed: ignored
        add_prices(s, hi, {365: 100.0, 0: 50.0})
        add_prices(s, lo, {365: 100.0, 0: 130.0})
        return {}

    seeded(sqlite_store.session_factory, build)
    _, t = _factors(sqlite_store, "ma_sell")
    for factor in ("sponsor_holding", "underperformance", "sub_scale", "margin_pressure", "ownership"):
        assert _norm(t, "HI", factor) == 1.0, factor
        assert _norm(t, "LO", factor) == 0.0, factor
    assert t.loc[("HI", "sponsor_holding"), "value"] == pytest.approx(8.0, abs=0.01)


def test_ma_buy_factors(sqlite_store):
    def build(s):
        hi = add_company(s, "HI", cash_usd_m=600.0, revenue_usd_m=1000.0, ebitda_usd_m=200.0,
                         net_debt_usd_m=-100.0, revenue_growth_pct=25.0, market_cap_usd_m=80000.0)
        lo = add_company(s, "LO", cash_usd_m=10.0, revenue_usd_m=1000.0, ebitda_usd_m=100.0,
                         net_debt_usd_m=400.0, revenue_growth_pct=-2.0, market_cap_usd_m=300.0)
        for days in (100, 500, 900, 1500):
            add_deal(s, hi, "ma", AS_OF - D(days=days), role="acquirer")
        add_deal(s, lo, "ma", AS_OF - D(days=100), role="target")
        return {}

    seeded(sqlite_store.session_factory, build)
    _, t = _factors(sqlite_store, "ma_buy")
    for factor in ("cash_rich", "low_leverage", "acquisitive", "growth", "scale"):
        assert _norm(t, "HI", factor) == 1.0, factor
        assert _norm(t, "LO", factor) == 0.0, factor
    assert t.loc[("HI", "acquisitive"), "value"] == 4


def test_weights_change_the_ranking_and_contributions_follow_the_weights(sqlite_store):
    def build(s):
        add_company(s, "GROWTH", revenue_growth_pct=40.0)  # growth only
        add_company(s, "SPONSOR", ownership="sponsor_backed", listing_status="listed")  # sponsor only
        return {}

    seeded(sqlite_store.session_factory, build)
    zero = {"leverage": 0, "near_high": 0, "momentum": 0, "equity_gap": 0}
    growth_first, t = _factors(sqlite_store, "ecm", {**zero, "growth": 3, "sponsor_monetisation": 1})
    assert list(growth_first.rows["key"]) == ["GROWTH", "SPONSOR"]
    assert float(t.loc[("GROWTH", "growth"), "contribution"]) == pytest.approx(75.0)
    sponsor_first, _ = _factors(sqlite_store, "ecm", {**zero, "growth": 1, "sponsor_monetisation": 3})
    assert list(sponsor_first.rows["key"]) == ["SPONSOR", "GROWTH"]


def test_every_factor_is_documented():
    rows = factor_table()
    assert len(rows) == sum(len(s.factors) for s in SCORES.values())
    for row in rows:
        assert row["measures"] and row["formula"] and row["normalisation"], row["factor"]
    assert set(SCORES) == {"ecm", "dcm", "ma_sell", "ma_buy"}
