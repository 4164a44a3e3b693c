"""Screens on the real store, SQLite and PostgreSQL: same answers on both, with and without cache."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from services import screens
from services.screening import FeatureCache, parse_spec, run_screen
from services.targeting_export import export_screen_to_excel
from workbench.demo import DemoSize, seed_demo
from workbench.models import Company, DebtInstrument, Deal, DealParty

AS_OF = dt.date(2026, 11, 20)

HOSTILE_SPEC = {
    "name": "x'); DROP TABLE companies; --",
    "filters": {"combine": "or", "conditions": [
        {"field": "name", "op": "contains", "value": "%' OR 1=1 --"},
        {"field": "sector", "op": "in", "value": ["Energy", "'; DELETE FROM deals; --"]},
    ]},
}  # fmt: skip


@pytest.fixture
def demo_store(store):
    seed_demo(store.session_factory, DemoSize(companies=400, deals=300, documents=0, price_years=1, seed=7, as_of=AS_OF))
    return store


@pytest.mark.parametrize("score", ["ecm", "dcm", "ma_sell", "ma_buy"])
def test_demo_screen_ranks_the_same_with_sql_pushdown_and_with_the_cache(demo_store, score):
    spec = parse_spec({"filters": {"conditions": [
        {"field": "market_cap_usd_m", "op": ">=", "value": 100},
        {"combine": "or", "conditions": [{"field": "rating", "op": ">=", "value": "BB-"},
                                         {"field": "price_return_90d_pct", "op": "<", "value": 0}]},
    ]}, "score": {"name": score}, "top_n": 25})  # fmt: skip
    sql = run_screen(spec, session_factory=demo_store.session_factory, as_of=AS_OF)
    cached = run_screen(spec, session_factory=demo_store.session_factory, as_of=AS_OF, cache=FeatureCache())
    assert 0 < len(sql.rows) <= 25
    pd.testing.assert_frame_equal(sql.rows, cached.rows)
    pd.testing.assert_frame_equal(sql.factors, cached.factors)
    assert sql.rows["score"].is_monotonic_decreasing
    assert sql.provenance["database_backend"] == demo_store.backend


def test_demo_features_are_populated(demo_store):
    spec = parse_spec({"filters": {"conditions": [{"field": "listing_status", "op": "=", "value": "listed"}]},
                       "top_n": 10_000})  # fmt: skip
    res = run_screen(spec, session_factory=demo_store.session_factory, as_of=AS_OF, cache=FeatureCache())
    assert res.matched > 0
    for name in ("price_return_90d_pct", "debt_maturing_24m_usd_m", "pct_of_52w_high"):
        spec2 = parse_spec({"filters": {"conditions": [{"field": name, "op": "is not empty"}]}, "top_n": 10_000})
        assert run_screen(spec2, session_factory=demo_store.session_factory, as_of=AS_OF).matched > 0, name


def test_crafted_store_gives_the_same_features_on_every_backend(store):
    with store.session_factory.begin() as s:
        a = Company(key="A", name="Alpha", sector="Energy", cash_usd_m=100.0, ebitda_usd_m=50.0, net_debt_usd_m=200.0)
        s.add(a)
        s.flush()
        s.add(DebtInstrument(company_id=a.id, instrument="notes", amount_usd_m=150.0, coupon_pct=8.0,
                             issue_date=dt.date(2021, 1, 1), maturity_date=AS_OF + dt.timedelta(days=365)))
        d = Deal(key="d1", name="IPO", deal_type="ipo", status="completed", announced_date=AS_OF - dt.timedelta(days=30))
        s.add(d)
        s.flush()
        s.add(DealParty(deal_id=d.id, role="issuer", name="Alpha", company_id=a.id))
    spec = parse_spec({"filters": {"conditions": [
        {"field": "debt_maturing_24m_to_cash", "op": "=", "value": 1.5},
        {"field": "days_since_last_equity_deal", "op": "=", "value": 30},
        {"field": "net_debt_to_ebitda", "op": ">=", "value": 4}]}, "score": {"name": "dcm"}})  # fmt: skip
    res = run_screen(spec, session_factory=store.session_factory, as_of=AS_OF)
    assert list(res.rows["key"]) == ["A"]
    assert res.factors.set_index("factor").loc["maturity_wall_cash", "normalised"] == 0.75


def test_hostile_values_are_bound_and_change_nothing(store):
    with store.session_factory.begin() as s:
        s.add(Company(key="E", name="Energy Co", sector="Energy"))
    res = run_screen(parse_spec(HOSTILE_SPEC), session_factory=store.session_factory, as_of=AS_OF)
    assert list(res.rows["key"]) == ["E"]
    again = run_screen(parse_spec({"name": "check"}), session_factory=store.session_factory, as_of=AS_OF)
    assert again.universe == 1


def test_saved_screen_rerun_and_export_on_each_backend(demo_store, tmp_path):
    spec = parse_spec({"name": "Refi book", "filters": {"conditions": [
        {"field": "debt_maturing_24m_usd_m", "op": ">", "value": 0}]}, "score": {"name": "dcm"}, "top_n": 20})  # fmt: skip
    saved = screens.save_screen(spec, session_factory=demo_store.session_factory, user="ana")
    run1, _ = screens.run_saved_screen(saved.id, session_factory=demo_store.session_factory, user="ana", as_of=AS_OF)
    run2, res = screens.run_saved_screen(saved.id, session_factory=demo_store.session_factory, user="ana",
                                         as_of=AS_OF - dt.timedelta(days=200))  # fmt: skip
    cmp = screens.compare_runs(run2.id, session_factory=demo_store.session_factory)
    assert set(cmp["status"]) <= {"entered", "left", "up", "down", "unchanged"}
    assert (cmp["status"] != "left").sum() == run2.row_count
    out = tmp_path / "refi.xlsx"
    export_screen_to_excel(res, session_factory=demo_store.session_factory, user="ana", path=out)
    assert openpyxl.load_workbook(out)["Ranked"].freeze_panes is not None
