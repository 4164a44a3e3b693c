"""Saved screens (save, rename, clone, delete, re-run, compare) and watchlists on a crafted store."""

from __future__ import annotations

import datetime as dt

import pytest

from screen_store import AS_OF, add_company, seeded
from services import screens, watchlists
from services.screening import ScreenSpec
from workbench.errors import WorkbenchError
from workbench.models import Company


def _spec(top_n: int = 3) -> ScreenSpec:
    return ScreenSpec(name="Big caps", filters={"conditions": [{"field": "market_cap_usd_m", "op": ">", "value": 0}]},
                      top_n=top_n)  # fmt: skip


@pytest.fixture
def factory(sqlite_store):
    seeded(sqlite_store.session_factory,
           lambda s: {k: add_company(s, k, market_cap_usd_m=v) for k, v in {"A": 400.0, "B": 300.0, "C": 200.0, "D": 100.0}.items()})  # fmt: skip
    return sqlite_store.session_factory


def test_save_rename_clone_delete(factory):
    saved = screens.save_screen(_spec(), session_factory=factory, user="ana")
    with pytest.raises(WorkbenchError, match="already exists"):
        screens.save_screen(_spec(), session_factory=factory, user="ana")
    renamed = screens.rename_screen(saved.id, "Large caps", session_factory=factory, user="ana")
    assert renamed.name == renamed.spec.name == "Large caps"
    clone = screens.clone_screen(saved.id, session_factory=factory, user="bo")
    assert clone.name == "Large caps (copy)" and clone.spec.filters == saved.spec.filters
    assert screens.clone_screen(saved.id, session_factory=factory, user="bo").name == "Large caps (copy) 2"
    with pytest.raises(WorkbenchError, match="already exists"):
        screens.rename_screen(clone.id, "Large caps", session_factory=factory, user="ana")
    with pytest.raises(WorkbenchError, match="control or invisible"):
        screens.rename_screen(clone.id, "bad\x00name", session_factory=factory, user="ana")
    screens.delete_screen(clone.id, session_factory=factory, user="ana")
    names = [s.name for s in screens.list_screens(session_factory=factory)]
    assert names == ["Large caps", "Large caps (copy) 2"]
    with pytest.raises(WorkbenchError, match="no saved screen"):
        screens.delete_screen(clone.id, session_factory=factory, user="ana")


def test_weights_are_saved_with_the_screen(factory):
    spec = ScreenSpec(name="Refi", score={"name": "dcm", "weights": {"leverage": 4}})
    saved = screens.save_screen(spec, session_factory=factory, user="ana")
    assert screens.get_screen(session_factory=factory, name="Refi").spec.score.weights == {"leverage": 4.0}
    assert saved.spec == spec


def test_rerun_and_compare_with_the_previous_run(factory):
    saved = screens.save_screen(_spec(), session_factory=factory, user="ana")
    first, _ = screens.run_saved_screen(saved.id, session_factory=factory, user="ana", as_of=AS_OF)
    assert first.row_count == 3
    first_cmp = screens.compare_runs(first.id, session_factory=factory)
    assert set(first_cmp["status"]) == {"entered"}
    with factory.begin() as s:  # D jumps to the top, A drops out of the top 3
        s.get(Company, 4).market_cap_usd_m = 1000.0
        s.get(Company, 1).market_cap_usd_m = 50.0
    second, _ = screens.run_saved_screen(saved.id, session_factory=factory, user="ana", as_of=AS_OF + dt.timedelta(days=1))
    cmp = screens.compare_runs(second.id, session_factory=factory).set_index("key")
    assert cmp.loc["D", "status"] == "entered" and cmp.loc["D", "rank"] == 1
    assert cmp.loc["A", "status"] == "left" and cmp.loc["A", "previous_rank"] == 1
    assert (cmp.loc["B", "status"], cmp.loc["B", "rank_change"]) == ("unchanged", 0)
    with factory.begin() as s:  # C overtakes B
        s.get(Company, 3).market_cap_usd_m = 350.0
    third, _ = screens.run_saved_screen(saved.id, session_factory=factory, user="ana", as_of=AS_OF)
    cmp = screens.compare_runs(third.id, session_factory=factory).set_index("key")
    assert (cmp.loc["C", "status"], cmp.loc["C", "rank_change"]) == ("up", 1)
    assert (cmp.loc["B", "status"], cmp.loc["B", "rank_change"]) == ("down", -1)
    runs = screens.list_runs(saved.id, session_factory=factory)
    assert [r.id for r in runs] == [third.id, second.id, first.id]


def test_watchlist_add_is_idempotent_and_checks_ids(factory):
    wl = watchlists.create_watchlist("Q1 calls", session_factory=factory, user="ana")
    assert watchlists.add_companies(wl.id, [1, 2], session_factory=factory, user="ana", note="from screen") == 2
    assert watchlists.add_companies(wl.id, [2, 3], session_factory=factory, user="ana") == 1
    assert watchlists.watchlist_company_ids(wl.id, session_factory=factory) == [1, 2, 3]
    with pytest.raises(WorkbenchError, match="unknown company ids"):
        watchlists.add_companies(wl.id, [99], session_factory=factory, user="ana")
    with pytest.raises(WorkbenchError, match="already exists"):
        watchlists.create_watchlist("Q1 calls", session_factory=factory, user="ana")
    assert [(w.name, w.item_count) for w in watchlists.list_watchlists(session_factory=factory)] == [("Q1 calls", 3)]
