"""The Monitor page under AppTest: alerts with Run now and acknowledge, watchlists, charts, deals, league tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from services import alerts, watchlists
from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate
from workbench.demo import DemoSize, seed_demo

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"

PAGE = "pages/monitor.py"
DEMO = DemoSize(companies=60, deals=150, documents=6, price_years=1, seed=7)


@pytest.fixture(autouse=True)
def _clean_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WORKBENCH_DEMO_ON_EMPTY", "false")
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def factory() -> Iterator[sessionmaker[Session]]:
    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    sf = make_session_factory(engine)
    seed_demo(sf, DEMO)
    yield sf
    engine.dispose()


def _page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _submit(at: AppTest, label: str) -> None:
    [b for b in at.button if b.label == label][0].click().run()
    assert not at.exception, at.exception


def _view(at: AppTest, name: str) -> AppTest:
    at.radio(key="mon_view").set_value(name).run()
    assert not at.exception, at.exception
    return at


def test_run_now_writes_alerts_that_can_be_acknowledged(factory):
    alerts.install_default_rules(session_factory=factory, user="test-user")
    at = _page()
    assert at.title[0].value == "Monitor"
    assert any("No alerts" in i.value for i in at.info)
    at.button(key="mon_run").click().run()
    assert not at.exception
    events = alerts.list_events(session_factory=factory)
    assert not events.empty
    assert at.dataframe[0].value["reason"].tolist()[0] == events["reason"].iloc[0]
    at.button(key="mon_ack_all").click().run()
    assert not at.exception
    assert alerts.list_events(session_factory=factory, include_acknowledged=False).empty
    assert any("No alerts" in i.value for i in at.info)


def test_add_rule_form_rejects_hostile_parameters_and_saves_good_ones(factory):
    at = _page()
    at.text_input(key="mon_rule_name").input("Big movers")
    at.text_input(key="mon_rule_params").input("pct=abc'; DROP TABLE prices;--")
    _submit(at, "Add rule")
    assert any("must be a number" in e.value for e in at.error)
    assert alerts.list_rules(session_factory=factory) == []
    at.text_input(key="mon_rule_params").input("pct=12, days=5")
    _submit(at, "Add rule")
    assert [r.name for r in alerts.list_rules(session_factory=factory)] == ["Big movers"]


def test_watchlist_view_shows_returns_and_adds_by_ticker(factory):
    wl = watchlists.create_watchlist("Coverage", session_factory=factory, user="test-user")
    with factory() as s:
        from sqlalchemy import select

        from workbench.models import Company, Price

        tickers = list(s.scalars(select(Company.ticker).where(Company.id.in_(select(Price.company_id))).limit(3)))
    at = _view(_page(), "Watchlists")
    at.text_area(key="mon_wl_tickers").input(", ".join(tickers) + ", NOSUCHTICKER").run()
    at.button(key="mon_wl_add").click().run()
    assert not at.exception
    assert any("NOSUCHTICKER" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert len(table) == 3 and {"ret_1d_pct", "ret_ytd_pct", "from_high_pct", "next_maturity"} <= set(table.columns)
    at.text_input(key="mon_wl_rename_to").input("Coverage EU").run()
    at.button(key="mon_wl_rename").click().run()
    assert [w.name for w in watchlists.list_watchlists(session_factory=factory)] == ["Coverage EU"]
    assert wl.id == watchlists.list_watchlists(session_factory=factory)[0].id


def test_charts_deal_flow_and_league_tables_render(factory):
    at = _view(_page(), "Charts")
    assert len(at.get("plotly_chart")) == 1  # the sector heatmap
    with factory() as s:
        from sqlalchemy import select

        from workbench.models import Company, Price

        ticker = s.scalar(select(Company.ticker).where(Company.id.in_(select(Price.company_id))).limit(1))
    at.text_input(key="mon_chart_q").input(ticker).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    at = _view(at, "Deal flow")
    assert len(at.dataframe) == 1 and len(at.get("plotly_chart")) == 1
    at = _view(at, "League tables")
    assert len(at.dataframe) == 1 and at.dataframe[0].value["rank"].iloc[0] == 1
