"""The Targeting page under AppTest: build a screen, run it, explain, export, save and re-run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate
from workbench.models import AuditEntry, Company, DebtInstrument

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    monkeypatch.setenv("WORKBENCH_DEMO_ON_EMPTY", "false")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def factory():
    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        for i, (sector, cap) in enumerate([("Energy", 5000.0), ("Energy", 800.0), ("Utilities", 300.0)]):
            c = Company(key=f"K{i}", name=f"Company {i}", sector=sector, market_cap_usd_m=cap, ebitda_usd_m=100.0,
                        net_debt_usd_m=100.0 * (i + 1), cash_usd_m=50.0, listing_status="listed", ownership="public")
            s.add(c)
            s.flush()
            s.add(DebtInstrument(company_id=c.id, instrument="notes", amount_usd_m=200.0 * (i + 1), coupon_pct=7.0,
                                 maturity_date=dt.date(2027, 6, 1)))
    yield factory
    engine.dispose()


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/targeting.py").run()
    assert not at.exception, at.exception
    return at


def test_builds_and_runs_a_screen_then_explains_and_exports(factory):
    at = _page()
    at.date_input(key="tg_as_of").set_value(AS_OF).run()
    at.multiselect(key="tg_f0_multi").set_value(["Energy"]).run()
    at.selectbox(key="tg_score").set_value("dcm").run()
    at.button[[b.label for b in at.button].index("Run screen")].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table["key"]) == ["K1", "K0"]  # K1: more debt maturing vs cash and EBITDA
    assert len(at.get("plotly_chart")) == 2
    at.selectbox(key="tg_explain").set_value(1).run()  # K0, ranked second
    assert "#2 Company 0" in at.get("plotly_chart")[0].proto.spec
    at.button(key="tg_prep_xlsx").click().run()
    assert not at.exception, at.exception
    assert any(getattr(d, "label", "") == "Download Excel" for d in at.get("download_button"))
    with factory() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert actions.count("screen_run") == 1 and actions.count("export") == 1


def test_adds_a_filter_row_and_reports_a_bad_screen_clearly(factory):
    at = _page()
    at.button[[b.label for b in at.button].index("Add filter")].click().run()
    assert at.selectbox(key="tg_f1_field").value == "market_cap_usd_m"
    at.number_input(key="tg_f1_num").set_value(1000.0).run()
    at.button[[b.label for b in at.button].index("Run screen")].click().run()
    assert not at.exception
    assert list(at.dataframe[0].value["key"]) == ["K0"]
    at.text_input(key="tg_name").set_value("bad\u202ename").run()
    at.button[[b.label for b in at.button].index("Run screen")].click().run()
    assert any("control or invisible" in e.value for e in at.error)


def test_saves_reruns_and_compares_a_screen(factory):
    at = _page()
    at.text_input(key="tg_name").set_value("Energy book").run()
    at.date_input(key="tg_as_of").set_value(AS_OF).run()
    at.button(key="tg_save").click().run()
    assert at.selectbox(key="tg_saved_pick").value == "Energy book"
    at.button(key="tg_rerun").click().run()
    assert not at.exception, at.exception
    compare = at.dataframe[-1].value
    assert set(compare["status"]) == {"entered"} and len(compare) == 3
    at.button(key="tg_clone").click().run()
    assert "Energy book (copy)" in at.selectbox(key="tg_saved_pick").options
