"""Home page under AppTest: real counts of the store, the latest deals, the empty-store message."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.overview import store_overview
from workbench.demo import DemoSummary
from workbench.models import AlertEvent, AlertRule, Company, Watchlist

EMPTY_MESSAGE = "The store is empty"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _add_watchlist_and_alerts(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        s.add(Watchlist(name="Sponsor exits", owner="test-user"))
        rule = AlertRule(name="Big drops", rule_type="price_move", params={"pct": -10})
        s.add(rule)
        s.flush()
        company_id = s.scalar(select(Company.id).limit(1))
        s.add_all(
            [
                AlertEvent(
                    rule_id=rule.id,
                    company_id=company_id,
                    dedupe_key="a",
                    as_of=dt.date(2026, 11, 20),
                    reason="fell 12%",
                ),
                AlertEvent(
                    rule_id=rule.id,
                    company_id=company_id,
                    dedupe_key="b",
                    as_of=dt.date(2026, 11, 19),
                    reason="fell 11%",
                    acknowledged_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
                    acknowledged_by="test-user",
                ),
            ]
        )


def test_home_metrics_show_the_real_counts_of_the_store(
    app, seeded_app_store: DemoSummary, app_store
):
    _add_watchlist_and_alerts(app_store)
    with app_store() as s:
        by_status = dict(
            s.execute(
                select(Company.listing_status, func.count()).group_by(Company.listing_status)
            ).all()
        )

    at = app().run()

    assert not at.exception
    shown = _metrics(at)
    assert shown["Companies"] == f"{seeded_app_store.companies:,}"
    assert shown["Listed"] == f"{by_status['listed']:,}"
    assert shown["Private"] == f"{by_status['private']:,}"
    assert shown["Deals"] == f"{seeded_app_store.deals:,}"
    assert shown["Documents"] == f"{seeded_app_store.documents:,}"
    assert shown["Price rows"] == f"{seeded_app_store.prices:,}"
    assert shown["Watchlists"] == "1"
    assert shown["Open alerts"] == "1"  # the acknowledged one is not open


def test_home_lists_the_fifteen_latest_deals_newest_first(app, seeded_app_store: DemoSummary):
    at = app().run()

    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 15
    dates = list(table["date"])
    assert dates == sorted(dates, reverse=True)
    assert table["name"].str.len().min() > 0
    assert (table["banks"] != "").any(), "bookrunners and advisors are shown"


def test_home_says_the_data_as_of_dates(app, seeded_app_store: DemoSummary):
    at = app().run()

    captions = " ".join(c.value for c in at.caption)
    assert "latest price 20 Nov 2026" in captions  # the demo's as-of date is a trading day


def test_home_on_an_empty_store_says_so_and_shows_no_figures(app, app_store):
    at = app().run()

    assert not at.exception
    assert any(EMPTY_MESSAGE in info.value and "workbench demo" in info.value for info in at.info)
    assert len(at.metric) == 0
    assert len(at.dataframe) == 0


def test_home_volume_chart_switches_between_volume_and_deal_count(
    app, seeded_app_store: DemoSummary, app_store
):
    at = app().run()
    volume = json.loads(at.get("plotly_chart")[0].proto.spec)

    at.radio[0].set_value("Number of deals").run()

    assert not at.exception
    assert at.radio[0].value == "Number of deals"
    count = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert volume["layout"]["yaxis"]["title"]["text"] == "Volume (USD m)"
    assert count["layout"]["yaxis"]["title"]["text"] == "Number of deals"
    # The stacked bars add up to the deals of the quarters shown, and the volumes to theirs.
    quarters = store_overview(session_factory=app_store).quarterly_volume
    assert sum(sum(t["y"]) for t in count["data"]) == quarters["deals"].sum() > 0
    assert sum(sum(t["y"]) for t in volume["data"]) == pytest.approx(quarters["volume_usd_m"].sum())
    assert {t["name"] for t in count["data"]} <= {t["name"] for t in volume["data"]}


def test_home_with_companies_but_no_deals_renders_without_exception(app, app_store):
    with app_store.begin() as s:
        s.add(
            Company(
                key="ACME", name="Acme", listing_status="listed", sector="Energy", region="Europe"
            )
        )

    at = app().run()

    assert not at.exception
    shown = _metrics(at)
    assert (shown["Companies"], shown["Deals"]) == ("1", "0")
    assert any("No dated deals" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) == 0
