"""Alert rules on crafted data, on SQLite and PostgreSQL: where each must fire and where it must not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from services import alerts, watchlists
from services.screens import save_screen
from services.screening import parse_spec
from workbench.errors import WorkbenchError
from workbench.models import AlertEvent, Company, DebtInstrument, Deal, DealParty, Document, Price, Watchlist

AS_OF = dt.date(2026, 11, 20)  # a Friday
USER = "analyst"


def _days(n: int) -> list[dt.date]:
    """The last n business days up to AS_OF, oldest first."""
    out, day = [], AS_OF
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day -= dt.timedelta(days=1)
    return out[::-1]


def _series(session: Session, cid: int, closes: list[float], volumes: list[int] | None = None,
            skip: set[int] = frozenset(), end_gap: int = 0) -> None:  # fmt: skip
    days = _days(len(closes) + end_gap)[: len(closes)]
    rows = [{"company_id": cid, "date": d, "open": c, "high": c * 1.01, "low": c * 0.99, "close": c,
             "volume": (volumes[i] if volumes else 1000)}
            for i, (d, c) in enumerate(zip(days, closes, strict=True)) if i not in skip]  # fmt: skip
    session.execute(insert(Price), rows)


def _company(session: Session, key: str, sector: str) -> int:
    c = Company(key=key, name=f"{key.title()} plc", ticker=key[:6].upper(), sector=sector, region="Europe")
    session.add(c)
    session.flush()
    return c.id


def _flat(n: int) -> list[float]:
    return [100.0 + (i % 3) for i in range(n - 1)] + [101.0]


def build(session: Session) -> dict[str, Any]:
    ids = {k: _company(session, k, s) for k, s in [
        ("mover", "Energy"), ("flat", "Energy"), ("split", "Financials"), ("drop", "Financials"),
        ("spike", "Energy"), ("stale", "Energy"), ("badrow", "Energy"), ("newipo", "Energy")]}  # fmt: skip
    n = 280
    # Up 15% in the last four sessions, with missing days earlier on.
    _series(session, ids["mover"], _flat(n - 4) + [104.0, 108.0, 112.0, 116.0], skip={40, 41, 42, 100})
    _series(session, ids["flat"], _flat(n))
    # A 2:1 split two sessions ago: the close halves overnight.
    _series(session, ids["split"], _flat(n - 2) + [50.5, 50.4])
    # Down 40% over a week in non-round steps: a real fall.
    _series(session, ids["drop"], _flat(n - 4) + [88.0, 77.0, 68.0, 60.0])
    _series(session, ids["spike"], _flat(n), volumes=[1000] * (n - 1) + [9000])
    # Prices stopped three weeks ago, after a big rise: nothing current to alert on.
    _series(session, ids["stale"], _flat(n - 3) + [150.0, 160.0, 170.0], end_gap=15)
    _series(session, ids["badrow"], _flat(n))
    session.add(Price(company_id=ids["badrow"], date=AS_OF - dt.timedelta(days=6), close=-5.0, volume=10))
    # Listed 60 days ago and rising: a high, but not a 52-week one.
    _series(session, ids["newipo"], [50.0 + i for i in range(42)])

    session.add_all([
        DebtInstrument(company_id=ids["mover"], instrument="Senior notes", amount_usd_m=500, coupon_pct=5.25,
                       maturity_date=AS_OF + dt.timedelta(days=90)),
        DebtInstrument(company_id=ids["flat"], instrument="Term loan B", amount_usd_m=800,
                       maturity_date=AS_OF + dt.timedelta(days=1100)),
        DebtInstrument(company_id=ids["drop"], instrument="Old notes", amount_usd_m=300,
                       maturity_date=AS_OF - dt.timedelta(days=30)),
    ])  # fmt: skip
    deals = {}
    for key, kind, sector, days_ago, size, party in [
        ("ipo-energy", "ipo", "Energy", 2, 400.0, "mover"),
        ("bond-fin", "ig_bond", "Financials", 3, 1000.0, "drop"),
        ("ipo-old", "ipo", "Energy", 30, 200.0, "flat"),
        ("ma-energy", "ma", "Energy", 1, 2500.0, "flat"),
    ]:
        d = Deal(key=key, name=f"Deal {key}", deal_type=kind, sector=sector, region="Europe", size_usd_m=size,
                 announced_date=AS_OF - dt.timedelta(days=days_ago), status="announced")  # fmt: skip
        session.add(d)
        session.flush()
        session.add(DealParty(deal_id=d.id, role="issuer" if kind != "ma" else "target", name=party,
                              company_id=ids[party]))  # fmt: skip
        deals[key] = d.id
    docs = {}
    for key, cid, days_ago, kind in [("doc-new", "mover", 1, "transcript"), ("doc-old", "mover", 60, "10-K"),
                                     ("doc-flat", "flat", 1, "8-K")]:  # fmt: skip
        doc = Document(key=key, company_id=ids[cid], doc_type=kind, title=f"Title {key}", text="x",
                       doc_date=AS_OF - dt.timedelta(days=days_ago))  # fmt: skip
        session.add(doc)
        session.flush()
        docs[key] = doc.id
    wl = Watchlist(name="Core", owner=USER)
    session.add(wl)
    session.flush()
    from workbench.models import WatchlistItem

    session.add_all(WatchlistItem(watchlist_id=wl.id, company_id=ids[k]) for k in ("mover", "drop", "spike"))
    return {"ids": ids, "deals": deals, "docs": docs, "watchlist": wl.id}


@pytest.fixture
def market(store):
    with store.session_factory.begin() as session:
        data = build(session)
    return store, data


def _run(store, name: str, rule_type: str, params: dict | None = None, **scope: Any) -> tuple[alerts.RunSummary, list]:
    rule = alerts.create_rule(name, rule_type, params, session_factory=store.session_factory, user=USER, **scope)
    summary = alerts.run_alerts(session_factory=store.session_factory, as_of=AS_OF, user=USER, rule_ids=[rule.id])
    events = alerts.list_events(session_factory=store.session_factory, rule_id=rule.id)
    return summary, events.to_dict("records")


def _fired(events: list, data: dict, kind: str | None = None) -> set[str]:
    names = {v: k for k, v in data["ids"].items()}
    return {names[e["company_id"]] for e in events
            if kind is None or e["figures"].get("kind", "alert") == kind}  # fmt: skip


def test_price_move_fires_on_real_moves_and_reports_the_split_instead(market):
    store, data = market
    summary, events = _run(store, "move", "price_move", {"pct": 10, "days": 7})
    assert _fired(events, data, "alert") == {"mover", "drop"}
    assert _fired(events, data, "probable_split") == {"split"}
    mover = next(e for e in events if e["company_id"] == data["ids"]["mover"])
    assert "rose 14.9% over 7 days: 101.00 on 2026-11-13" in mover["reason"] and mover["figures"]["end_close"] == 116.0
    split = next(e for e in events if e["company_id"] == data["ids"]["split"])
    assert "probable 2:1 split" in split["reason"]
    notes = " ".join(summary.rules[0].notes)
    assert "1 name(s) skipped: no close in the last 5 days" in notes and "probable split" in notes


def test_price_move_respects_direction_and_threshold(market):
    store, data = market
    _s, up = _run(store, "up", "price_move", {"pct": 10, "days": 7, "direction": "up"})
    assert _fired(up, data, "alert") == {"mover"}
    _s, big = _run(store, "big", "price_move", {"pct": 30, "days": 7})
    assert _fired(big, data, "alert") == {"drop"}


def test_52_week_high_and_low_need_a_year_of_history_and_skip_splits(market):
    store, data = market
    _s, highs = _run(store, "hi", "high_52w")
    assert _fired(highs, data, "alert") == {"mover"}
    _s, lows = _run(store, "lo", "low_52w", {"min_history_days": 200})
    assert _fired(lows, data, "alert") == {"drop"}
    _s, young = _run(store, "hi young", "high_52w", {"min_history_days": 30})
    assert "newipo" in _fired(young, data, "alert")


def test_volume_spike_fires_only_above_the_multiple(market):
    store, data = market
    _s, events = _run(store, "vol", "volume_spike", {"multiple": 3, "days": 30})
    assert _fired(events, data) == {"spike"}
    assert events[0]["figures"]["multiple"] == 9.0
    _s, none = _run(store, "vol10", "volume_spike", {"multiple": 10, "days": 30})
    assert none == []


def test_debt_maturity_fires_within_the_window_only(market):
    store, data = market
    _s, events = _run(store, "debt", "debt_maturity", {"months": 12})
    assert _fired(events, data) == {"mover"} and "$500m Senior notes 5.25%" in events[0]["reason"]
    _s, short = _run(store, "debt1", "debt_maturity", {"months": 1})
    assert short == []


def test_new_deal_by_type_in_a_sector(market):
    store, data = market
    _s, events = _run(store, "ipo energy", "new_deal", {"deal_types": ["ipo"], "lookback_days": 7},
                      scope_type="sector", scope_value="Energy")  # fmt: skip
    assert [e["deal_id"] for e in events] == [data["deals"]["ipo-energy"]]
    assert events[0]["company_id"] == data["ids"]["mover"]
    _s, wl = _run(store, "wl deals", "new_deal", {}, scope_type="watchlist", scope_value="Core")
    assert {e["deal_id"] for e in wl} == {data["deals"]["ipo-energy"], data["deals"]["bond-fin"]}


def test_new_document_for_watched_companies_only(market):
    store, data = market
    _s, events = _run(store, "docs", "new_document", {"lookback_days": 7}, scope_type="watchlist", scope_value="Core")
    assert [e["document_id"] for e in events] == [data["docs"]["doc-new"]]
    _s, all_docs = _run(store, "docs all", "new_document", {"lookback_days": 7, "doc_types": ["8-K"]})
    assert [e["document_id"] for e in all_docs] == [data["docs"]["doc-flat"]]


def test_sector_scope_limits_price_rules(market):
    store, data = market
    _s, events = _run(store, "fin", "price_move", {"pct": 10, "days": 7}, scope_type="sector", scope_value="Financials")
    assert _fired(events, data) == {"drop", "split"}
    _s, wl = _run(store, "core hi", "high_52w", {}, scope_type="watchlist", scope_value="Core")
    assert _fired(wl, data) == {"mover"}


def test_the_same_condition_does_not_fire_twice(market):
    store, _data = market
    alerts.install_default_rules(session_factory=store.session_factory, user=USER)
    first = alerts.run_alerts(session_factory=store.session_factory, as_of=AS_OF, user=USER)
    second = alerts.run_alerts(session_factory=store.session_factory, as_of=AS_OF, user=USER)
    assert first.new_events > 5 and not first.errors
    assert second.new_events == 0
    with store.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AlertEvent)) == first.new_events


def test_acknowledge_marks_events_once_and_filters_them(market):
    store, _data = market
    _s, events = _run(store, "move", "price_move", {"pct": 10, "days": 7})
    ids = [e["id"] for e in events]
    assert alerts.acknowledge_events(ids[:1], session_factory=store.session_factory, user="alice") == 1
    assert alerts.acknowledge_events(ids, session_factory=store.session_factory, user="bob") == len(ids) - 1
    listed = alerts.list_events(session_factory=store.session_factory)
    assert set(listed.loc[listed["id"] == ids[0], "acknowledged_by"]) == {"alice"}
    assert alerts.list_events(session_factory=store.session_factory, include_acknowledged=False).empty


def test_bad_price_rows_are_reported_and_ignored(market):
    store, data = market
    summary, events = _run(store, "lo", "low_52w", {"min_history_days": 200})
    assert "badrow" not in _fired(events, data)
    assert any("1 bad price row(s) for 1 name(s)" in i for i in summary.issues)


@pytest.mark.parametrize("scope_value", ["Energy'; DROP TABLE prices;--", "' OR '1'='1", "Énergie ☃"])
def test_hostile_sector_scope_is_a_plain_value(market, scope_value):
    store, _data = market
    _s, events = _run(store, "hostile", "price_move", {"pct": 1}, scope_type="sector", scope_value=scope_value)
    assert events == []
    with store.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Price)) > 1000


@pytest.mark.parametrize("params, message", [
    ({"pct": "10; DROP TABLE prices"}, "must be a number"),
    ({"pct": -5}, "at least"),
    ({"days": 2.5}, "whole number"),
    ({"direction": "sideways' --"}, "must be one of"),
    ({"nope": 1}, "has no parameter"),
])  # fmt: skip
def test_bad_rule_parameters_are_rejected_and_nothing_is_saved(store, params, message):
    with pytest.raises(WorkbenchError, match=message):
        alerts.create_rule("r", "price_move", params, session_factory=store.session_factory, user=USER)
    assert alerts.list_rules(session_factory=store.session_factory) == []


def test_bad_rule_types_names_and_scopes_are_rejected(store):
    sf = store.session_factory
    with pytest.raises(WorkbenchError, match="unknown rule type"):
        alerts.create_rule("r", "price_move; DROP", {}, session_factory=sf, user=USER)
    with pytest.raises(WorkbenchError, match="control or invisible"):
        alerts.create_rule("r\x00x", "price_move", {}, session_factory=sf, user=USER)
    with pytest.raises(WorkbenchError, match="no watchlist named"):
        alerts.create_rule("r", "price_move", {}, session_factory=sf, user=USER, scope_type="watchlist",
                           scope_value="x' OR 1=1 --")  # fmt: skip
    with pytest.raises(WorkbenchError, match="unknown value"):
        alerts.create_rule("r", "new_deal", {"deal_types": ["ipo", "x'--"]}, session_factory=sf, user=USER)
    with pytest.raises(WorkbenchError, match="scope must be"):
        alerts.create_rule("r", "price_move", {}, session_factory=sf, user=USER, scope_type="everything")
    alerts.create_rule("r", "price_move", {}, session_factory=sf, user=USER)
    with pytest.raises(WorkbenchError, match="already exists"):
        alerts.create_rule("r", "high_52w", {}, session_factory=sf, user=USER)


def test_a_broken_rule_is_reported_and_the_others_still_run(market):
    store, data = market
    sf = store.session_factory
    alerts.create_rule("wl", "high_52w", {}, session_factory=sf, user=USER, scope_type="watchlist", scope_value="Core")
    alerts.create_rule("all", "debt_maturity", {}, session_factory=sf, user=USER)
    watchlists.delete_watchlist(data["watchlist"], session_factory=sf, user=USER)
    summary = alerts.run_alerts(session_factory=sf, as_of=AS_OF, user=USER)
    assert summary.errors == ["wl: its watchlist no longer exists"]
    assert summary.new_events == 1


def test_rules_can_be_disabled_and_deleted(market):
    store, _data = market
    sf = store.session_factory
    rule = alerts.create_rule("debt", "debt_maturity", {}, session_factory=sf, user=USER)
    alerts.set_rule_enabled(rule.id, False, session_factory=sf, user=USER)
    assert alerts.run_alerts(session_factory=sf, as_of=AS_OF, user=USER).rules == []
    alerts.run_alerts(session_factory=sf, as_of=AS_OF, user=USER, rule_ids=[rule.id])
    alerts.delete_rule(rule.id, session_factory=sf, user=USER)
    assert alerts.list_rules(session_factory=sf) == [] and alerts.list_events(session_factory=sf).empty


def test_screen_entry_fires_for_a_company_that_entered_the_saved_screen(market):
    store, data = market
    sf = store.session_factory
    spec = parse_spec({"name": "Energy names", "filters": {"combine": "and", "conditions": [
        {"field": "sector", "op": "in", "value": ["Energy"]}]}, "top_n": 100})  # fmt: skip
    save_screen(spec, session_factory=sf, user=USER)
    summary, events = _run(store, "entered", "screen_entry", {"screen": "Energy names"})
    assert events == [] and "baseline" in summary.rules[0].notes[0]
    with sf.begin() as s:
        s.get(Company, data["ids"]["drop"]).sector = "Energy"
    summary = alerts.run_alerts(session_factory=sf, as_of=AS_OF + dt.timedelta(days=1), user=USER)
    events = alerts.list_events(session_factory=sf).to_dict("records")
    assert [e["company_id"] for e in events] == [data["ids"]["drop"]]
    assert "entered saved screen 'Energy names'" in events[0]["reason"]


def test_screen_entry_for_a_missing_screen_is_a_rule_error(market):
    store, _data = market
    summary, events = _run(store, "gone", "screen_entry", {"screen": "No such screen"})
    assert events == [] and "no saved screen named" in summary.rules[0].error


def test_watchlists_rename_delete_tickers_notes_and_remove(market):
    store, data = market
    sf = store.session_factory
    wl = watchlists.create_watchlist("Morning", session_factory=sf, user=USER)
    res = watchlists.add_by_tickers(wl.id, watchlists.parse_tickers("mover, FLAT;nope\nmover"), session_factory=sf,
                                    user=USER)  # fmt: skip
    assert res.added == ["MOVER", "FLAT"] and res.unknown == ["NOPE"]
    again = watchlists.add_by_tickers(wl.id, ["MOVER"], session_factory=sf, user=USER)
    assert again.added == [] and again.already_listed == ["MOVER"]
    watchlists.set_note(wl.id, data["ids"]["mover"], "  call CFO  ", session_factory=sf, user=USER)
    with pytest.raises(WorkbenchError, match="not on watchlist"):
        watchlists.set_note(wl.id, data["ids"]["drop"], "x", session_factory=sf, user=USER)
    assert watchlists.remove_companies(wl.id, [data["ids"]["flat"]], session_factory=sf, user=USER) == 1
    with pytest.raises(WorkbenchError, match="already exists"):
        watchlists.rename_watchlist(wl.id, "Core", session_factory=sf, user=USER)
    watchlists.rename_watchlist(wl.id, "Morning calls", session_factory=sf, user=USER)
    lists = {w.name: w for w in watchlists.list_watchlists(session_factory=sf)}
    assert lists["Morning calls"].item_count == 1
    with sf() as s:
        from workbench.models import WatchlistItem

        assert s.scalar(select(WatchlistItem.note).where(WatchlistItem.watchlist_id == wl.id)) == "call CFO"
    watchlists.delete_watchlist(wl.id, session_factory=sf, user=USER)
    assert "Morning calls" not in {w.name for w in watchlists.list_watchlists(session_factory=sf)}


# --------------------------------------------------------------------------------------
# Which events fire on a seeded random market: a pinned record, so that a change to how
# the rules are computed (SQL, arrays, caching) cannot change what they report.
# --------------------------------------------------------------------------------------

PINNED_RULES: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    ("move 10% 7d", "price_move", {"pct": 10, "days": 7}, {}),
    ("move 4% 1d up", "price_move", {"pct": 4, "days": 1, "direction": "up"}, {}),
    ("move 15% 30d down", "price_move", {"pct": 15, "days": 30, "direction": "down", "stale_days": 3}, {}),
    ("move 8% 7d wl", "price_move", {"pct": 8, "days": 7}, {"scope_type": "watchlist", "scope_value": "Pinned"}),
    ("high", "high_52w", {}, {}),
    ("low", "low_52w", {}, {}),
    ("high young", "high_52w", {"min_history_days": 30}, {"scope_type": "sector", "scope_value": "Energy"}),
    ("low young", "low_52w", {"min_history_days": 60, "stale_days": 10}, {}),
    ("volume", "volume_spike", {"multiple": 2.5, "days": 30}, {}),
    ("volume liquid", "volume_spike", {"multiple": 2, "days": 10, "min_avg_volume": 50_000}, {}),
]


def _random_market(session: Session) -> dict[int, str]:
    """24 names over 300 business days: random walks with splits, gaps, bad rows, stale and young names."""
    rng = np.random.default_rng(20261120)
    days = _days(300)
    keys: dict[int, str] = {}
    for i in range(24):
        key = f"name{i:02d}"
        cid = _company(session, key, ("Energy", "Financials", "Utilities")[i % 3])
        keys[cid] = key
        closes = 30 * np.exp(np.cumsum(rng.normal(0.0, 0.035, len(days))))
        volumes = rng.lognormal(11, 0.4, len(days)).astype(np.int64)
        if i % 6 == 1:  # a 2:1 split, the last one two days ago
            at = 298 if i == 1 else int(rng.integers(40, 290))
            closes[at:] *= closes[at - 1] / closes[at] / 2
        if i == 5:  # a 1:3 reverse split on the last day
            closes[-1] = closes[-2] * 3
        if i % 4 == 2:
            volumes[-1] *= int(rng.integers(2, 6))
        if i == 11:  # at a 52-week low on its last day of trading, four sessions ago
            closes[-5] = closes[:-5].min() * 0.97
        if i == 23:  # a quiet name: a 2:1 split 100 sessions ago, then drifting to a 52-week low
            closes = 30 * np.exp(np.cumsum(rng.normal(0.0, 0.006, len(days))))
            closes[200:] *= closes[199] / closes[200] / 2
            closes[-100:] *= np.linspace(1.0, 0.7, 100)
            closes[-1] = closes[:-1].min() * 0.98
        first = {7: 280, 8: 200, 9: 40}.get(i, 0)  # listed later
        last = len(days) - (8 if i == 10 else 4 if i == 11 else 0)  # stopped trading
        rows = []
        for t in range(first, last):
            if rng.random() < 0.03:
                continue  # a missing day
            close = float(round(closes[t], 4))
            if rng.random() < 0.01:
                close = -1.0 if rng.random() < 0.5 else 0.0  # a bad row
            volume: int | None = int(volumes[t])
            if rng.random() < 0.02:
                volume = None if rng.random() < 0.5 else -5
            rows.append({"company_id": cid, "date": days[t], "open": close, "high": close * 1.01,
                         "low": close * 0.99, "close": close, "volume": volume})  # fmt: skip
        session.execute(insert(Price), rows)
    wl = Watchlist(name="Pinned", owner=USER)
    session.add(wl)
    session.flush()
    from workbench.models import WatchlistItem

    session.add_all(WatchlistItem(watchlist_id=wl.id, company_id=cid) for cid in list(keys)[::3])
    return keys


def _pinned_record(store) -> tuple[list[tuple[Any, ...]], dict[str, list[str]], list[str]]:
    with store.session_factory.begin() as session:
        keys = _random_market(session)
    for name, kind, params, scope in PINNED_RULES:
        alerts.create_rule(name, kind, params, session_factory=store.session_factory, user=USER, **scope)
    summary = alerts.run_alerts(session_factory=store.session_factory, as_of=AS_OF, user=USER)
    assert not summary.errors
    events = alerts.list_events(session_factory=store.session_factory).to_dict("records")
    figure = {"price_move": "change_pct", "high_52w": "close", "low_52w": "close", "volume_spike": "multiple"}
    record = sorted(
        (e["rule"], keys[e["company_id"]], e["figures"].get("kind", "alert"),
         e["figures"].get("split_date") or e["figures"].get("end_date") or e["figures"]["date"],
         e["figures"].get("ratio") or e["figures"][figure[e["rule_type"]]])
        for e in events
    )  # fmt: skip
    notes = {r.rule_name: r.notes for r in summary.rules if r.notes}
    return record, notes, summary.issues


def test_price_rules_fire_exactly_the_pinned_events_on_a_seeded_random_market(store):
    record, notes, issues = _pinned_record(store)
    assert record == [
        ("high", "name21", "alert", "2026-11-20", 60.7579),
        ("high young", "name21", "alert", "2026-11-20", 60.7579),
        ("low", "name00", "alert", "2026-11-19", 22.1763),
        ("low", "name11", "alert", "2026-11-16", 26.7054),
        ("low", "name23", "probable_split", "2026-07-06", "2:1"),
        ("low young", "name00", "alert", "2026-11-19", 22.1763),
        ("low young", "name11", "alert", "2026-11-16", 26.7054),
        ("move 10% 7d", "name01", "probable_split", "2026-11-19", "2:1"),
        ("move 10% 7d", "name05", "probable_split", "2026-11-20", "1:3"),
        ("move 10% 7d", "name07", "alert", "2026-11-20", -12.26),
        ("move 10% 7d", "name09", "alert", "2026-11-20", -14.27),
        ("move 10% 7d", "name11", "alert", "2026-11-16", -47.5),
        ("move 10% 7d", "name15", "alert", "2026-11-20", -16.62),
        ("move 15% 30d down", "name09", "alert", "2026-11-20", -16.58),
        ("move 15% 30d down", "name15", "alert", "2026-11-20", -16.13),
        ("move 15% 30d down", "name22", "alert", "2026-11-20", -15.89),
        ("move 4% 1d up", "name16", "alert", "2026-11-20", 6.01),
        ("move 8% 7d wl", "name09", "alert", "2026-11-20", -14.27),
        ("move 8% 7d wl", "name15", "alert", "2026-11-20", -16.62),
        ("move 8% 7d wl", "name21", "alert", "2026-11-20", 8.16),
        ("volume", "name06", "alert", "2026-11-20", 5.23),
        ("volume", "name18", "alert", "2026-11-20", 3.83),
        ("volume", "name22", "alert", "2026-11-20", 5.9),
        ("volume liquid", "name02", "alert", "2026-11-20", 2.2),
        ("volume liquid", "name06", "alert", "2026-11-20", 4.89),
        ("volume liquid", "name18", "alert", "2026-11-20", 3.63),
        ("volume liquid", "name22", "alert", "2026-11-20", 5.71),
    ]  # fmt: skip
    # The reverse split on the last day is also a 52-week high: reported once, by the first rule.
    # The quiet name's split 100 sessions ago is reported by both low rules instead of a low.
    assert notes == {
        "move 10% 7d": ["2 probable split(s) reported instead of price alerts",
                        "1 name(s) skipped: no close in the last 5 days"],
        "move 4% 1d up": ["1 probable split(s) reported instead of price alerts",
                          "1 name(s) skipped: no close in the last 5 days"],
        "move 15% 30d down": ["1 probable split(s) reported instead of price alerts",
                              "2 name(s) skipped: no close in the last 3 days"],
        "high": ["1 probable split(s) reported instead of price alerts"],
        "low": ["1 probable split(s) reported instead of price alerts"],
        "low young": ["1 probable split(s) reported instead of price alerts"],
    }  # fmt: skip
    assert issues == ["1 bad price row(s) for 1 name(s) in the last 7 days (non-positive close, negative volume "
                      "or high below low): ignored"]  # fmt: skip
