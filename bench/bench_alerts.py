"""Alert evaluation and the Monitor page at scale: 10,000 companies with 3 years of daily prices.

Builds a SQLite store in a temporary folder: the demo universe (companies, debt, deals,
documents) without its prices, then 3 years of business-day prices for every company
(random walks with a few splits, gaps and bad rows), a 500-name watchlist, the standard
rules plus watchlist-scoped ones and a saved-screen rule. Times the first evaluation (which
writes the events), a second one (nothing new: the dedupe path), and the Monitor page's
server time to first render under AppTest, then each of its other views. The first
evaluation is timed in wall-clock and in CPU seconds of this process (SQLite runs in it), as
other jobs on a shared machine stretch the former.

    .venv/bin/python bench/bench_alerts.py [--companies 10000] [--watched 500] [--db FILE]

With ``--db`` the store is built once and reused: its alert events are deleted before the
timed runs, so each run times the same first evaluation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 11, 20)


def _prices(factory, company_ids: list[int], years: int, seed: int) -> int:
    from workbench.demo.prices import business_days
    from workbench.models import Price

    days = business_days(AS_OF, years)
    day_objs = days.astype(object).tolist()
    rng = np.random.default_rng(seed)
    n = 0
    chunk = 200
    for lo in range(0, len(company_ids), chunk):
        ids = company_ids[lo:lo + chunk]
        m = len(ids)
        rets = rng.normal(0.0002, 0.02, (m, len(days)))
        close = 40 * np.exp(np.cumsum(rets, axis=1)) * np.exp(rng.normal(0, 0.6, (m, 1)))
        # A 2:1 split for one name in fifty, somewhere in the last year.
        for j in np.flatnonzero(rng.random(m) < 0.02):
            close[j, int(rng.integers(len(days) - 250, len(days))):] /= 2
        volume = (rng.lognormal(12, 0.5, (m, len(days)))).astype(np.int64)
        missing = rng.random((m, len(days))) < 0.01
        rows = []
        c_l, v_l, miss = np.round(close, 4).tolist(), volume.tolist(), missing.tolist()
        for j, cid in enumerate(ids):
            cj, vj, mj = c_l[j], v_l[j], miss[j]
            rows.extend({"company_id": cid, "date": day_objs[t], "open": cj[t], "high": cj[t] * 1.01,
                         "low": cj[t] * 0.99, "close": cj[t] if t % 997 else -1.0, "volume": vj[t]}
                        for t in range(len(day_objs)) if not mj[t])  # fmt: skip
        with factory.begin() as s:
            s.execute(insert(Price), rows)
        n += len(rows)
    return n


def build(url: str, companies: int, watched: int) -> dict[str, float]:
    from services import alerts, watchlists
    from services.screening import parse_spec
    from services.screens import save_screen
    from workbench.db import make_engine, make_session_factory, migrate
    from workbench.demo import DemoSize, seed_demo
    from workbench.models import Company

    engine = make_engine(url)
    migrate(engine)
    factory = make_session_factory(engine)
    t = time.perf_counter()
    seed_demo(factory, DemoSize(companies=companies, deals=companies * 2, documents=200, price_years=0, seed=7,
                                as_of=AS_OF))  # fmt: skip
    with factory() as s:
        ids = list(s.scalars(select(Company.id).order_by(Company.id)))
    rows = _prices(factory, ids, 3, seed=11)
    build_s = time.perf_counter() - t
    rng = np.random.default_rng(5)
    wl = watchlists.create_watchlist("Coverage", session_factory=factory, user="bench")
    watchlists.add_companies(wl.id, rng.choice(ids, watched, replace=False).tolist(), session_factory=factory, user="bench")
    alerts.install_default_rules(session_factory=factory, user="bench")
    for name, kind, params in [("Coverage: 5% day", "price_move", {"pct": 5, "days": 1}),
                               ("Coverage: 52-week high", "high_52w", {}),
                               ("Coverage: new document", "new_document", {"lookback_days": 30}),
                               ("Coverage: deals", "new_deal", {"lookback_days": 30})]:  # fmt: skip
        alerts.create_rule(name, kind, params, session_factory=factory, user="bench", scope_type="watchlist",
                           scope_value="Coverage")  # fmt: skip
    spec = parse_spec({"name": "Large industrials", "filters": {"combine": "and", "conditions": [
        {"field": "sector", "op": "in", "value": ["Industrials"]},
        {"field": "market_cap_usd_m", "op": ">=", "value": 1000}]}, "top_n": 200})  # fmt: skip
    save_screen(spec, session_factory=factory, user="bench")
    alerts.create_rule("Entered: large industrials", "screen_entry", {"screen": "Large industrials"},
                       session_factory=factory, user="bench")  # fmt: skip
    engine.dispose()
    print(f"built {companies:,} companies, {rows:,} prices in {build_s:.1f} s", file=sys.stderr)
    return {"prices": rows, "build_s": build_s}


def evaluate(url: str) -> dict[str, float]:
    from services import alerts
    from workbench.db import make_engine, make_session_factory
    from workbench.models import AlertRule

    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        s.execute(delete(alerts.AlertEvent))  # a reused store: time the first evaluation again
        sql_rules = list(s.scalars(select(AlertRule.id).where(AlertRule.rule_type != "screen_entry")))
        screen_rules = list(s.scalars(select(AlertRule.id).where(AlertRule.rule_type == "screen_entry")))
    # The screen's baseline run, the day before, so that the timed run looks for entries.
    alerts.run_alerts(session_factory=factory, as_of=AS_OF - dt.timedelta(days=1), user="bench", rule_ids=screen_rules)
    t, cpu = time.perf_counter(), time.process_time()
    first = alerts.run_alerts(session_factory=factory, as_of=AS_OF, user="bench", rule_ids=sql_rules)
    first_s, first_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    load = os.getloadavg()[0]
    t = time.perf_counter()
    second = alerts.run_alerts(session_factory=factory, as_of=AS_OF, user="bench", rule_ids=sql_rules)
    second_s = time.perf_counter() - t
    t = time.perf_counter()
    screen = alerts.run_alerts(session_factory=factory, as_of=AS_OF, user="bench", rule_ids=screen_rules)
    screen_s = time.perf_counter() - t
    for line in first.lines():
        print(line, file=sys.stderr)
    print(f"screen rule: {screen.lines()[1:]}", file=sys.stderr)
    assert second.new_events == 0, "a second run must not write events"
    with factory() as s:
        events = s.scalar(select(func.count()).select_from(alerts.AlertEvent))
    engine.dispose()
    return {"rules": len(sql_rules), "first_s": first_s, "first_cpu_s": first_cpu_s, "second_s": second_s,
            "screen_s": screen_s, "events": events, "errors": len(first.errors), "load": load}  # fmt: skip


def page(url: str) -> dict[str, float]:
    os.environ["WORKBENCH_DATABASE_URL"] = url
    os.environ["WORKBENCH_DEMO_ON_EMPTY"] = "false"
    from streamlit.testing.v1 import AppTest

    from workbench.config import get_settings

    get_settings.cache_clear()
    app = str(ROOT / "streamlit_app.py")
    # Warm the process (imports, engine, migration check) on another page, as a running server would be.
    warm = AppTest.from_file(app, default_timeout=120)
    warm.run()
    at = AppTest.from_file(app, default_timeout=120)
    t = time.perf_counter()
    at.switch_page("pages/monitor.py").run()
    first_s = time.perf_counter() - t
    assert not at.exception, at.exception
    out = {"first_render_s": first_s}
    for view in ("Watchlists", "Charts", "Deal flow", "League tables"):
        t = time.perf_counter()
        at.radio(key="mon_view").set_value(view).run()
        out[view] = time.perf_counter() - t
        assert not at.exception, (view, at.exception)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--watched", type=int, default=500)
    parser.add_argument("--db", help="Reuse (or build once) this SQLite file instead of a temporary one.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:  # noqa: SIM117
        path = Path(args.db) if args.db else Path(tmp) / "bench_alerts.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            build(url, args.companies, args.watched)
        ev = evaluate(url)
        pg = page(url)
    print(f"rules: {ev['rules']}, events written: {ev['events']}, rule errors: {ev['errors']}, "
          f"1-minute load average after the first evaluation: {ev['load']:.2f}", file=sys.stderr)  # fmt: skip
    print("page views: " + ", ".join(f"{k} {v:.2f} s" for k, v in pg.items()), file=sys.stderr)
    print(f"alerts_all_rules_s: {ev['first_s']:.2f} s, alerts_all_rules_cpu_s: {ev['first_cpu_s']:.2f} s, "
          f"alerts_rerun_s: {ev['second_s']:.2f} s, "
          f"alerts_screen_rule_s: {ev['screen_s']:.2f} s, monitor_first_render_s: {pg['first_render_s']:.2f} s")


if __name__ == "__main__":
    main()
