"""The Company page under AppTest: tear sheet, peers edited and saved, restricted flag; no torch."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench.config import get_settings
from workbench.models import Company, CompanyEmbedding, PeerSet, RestrictedCompany


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch):
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")
    get_settings.cache_clear()


def _subject(app_store) -> Company:
    with app_store() as s:
        return s.scalars(select(Company).where(Company.market_cap_usd_m > 0, Company.ticker.is_not(None))
                         .order_by(Company.market_cap_usd_m.desc()).limit(1)).one()  # fmt: skip


def _frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _open(app, ticker: str):
    at = app()
    at.run()
    at.switch_page("pages/company.py").run()
    assert not at.exception, at.exception
    at.text_input(key="co_search").set_value(ticker).run()
    assert not at.exception, at.exception
    return at


def test_tear_sheet_and_comps_show_then_a_peer_is_removed_added_and_saved(app, seeded_app_store, app_store):
    subject = _subject(app_store)
    at = _open(app, subject.ticker)
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="co_pick").value == subject.id
    financials = at.dataframe[0].value
    assert "Market cap ($m)" in set(financials["Key financials"])
    assert len(at.get("plotly_chart")) == 4  # price, debt ladder, comps scatter, multiples bar
    assert len(at.metric) == 4  # one per propensity score

    peers = _frame_with(at, "reason")
    n = len(peers)  # the small demo universe has few listed names per sector
    assert n >= 3 and peers["reason"].str.len().min() > 10
    comps = _frame_with(at, "net_margin_pct")
    assert list(comps["role"][:2]) == ["subject", "peer"] and comps.iloc[0]["market_cap_usd_m"] == subject.market_cap_usd_m

    state_key = f"co_peers_{subject.id}"
    removed = int(at.session_state[state_key]["company_id"].iloc[0])
    at.multiselect(key="co_remove").set_value([removed]).run()
    at.button(key="co_remove_btn").click().run()
    assert len(_frame_with(at, "reason")) == n - 1
    at.text_input(key="co_add_search").set_value(peers.iloc[0]["name"]).run()
    at.selectbox(key="co_add_pick").set_value(removed).run()
    at.button(key="co_add").click().run()
    assert not at.exception, at.exception
    edited = at.session_state[state_key]
    assert len(edited) == n and edited.iloc[-1]["origin"] == "added"
    at.button(key="co_save").click().run()
    assert not at.exception, at.exception
    assert any(f"Saved {n} peers" in s.value for s in at.success)
    with app_store() as s:
        saved = s.scalars(select(PeerSet).where(PeerSet.company_id == subject.id)).one()
    assert [p["company_id"] for p in saved.peers][-1] == removed and saved.saved_by == "test-user"

    # Description vectors are embedded from the page; the next proposal uses them.
    at.button(key="co_embed").click().run()
    assert not at.exception, at.exception
    with app_store() as s:
        assert s.scalar(select(func.count()).select_from(CompanyEmbedding)) == seeded_app_store.companies
    assert all("description similarity" in r for r in _frame_with(at, "reason")["reason"])


def test_restricted_company_is_flagged_on_the_tear_sheet(app, seeded_app_store, app_store):
    subject = _subject(app_store)
    with app_store.begin() as s:
        s.add(RestrictedCompany(company_id=subject.id, reason="live mandate"))
    at = _open(app, subject.ticker)
    assert any("is on the restricted list: live mandate" in e.value for e in at.error)
