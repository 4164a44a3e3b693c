"""Targeting screen speed: 4-filter screen + DCM score + top-100 at 50,000 and 1,000,000 companies.

For each size: builds (or reuses) a SQLite store with the demo generator, then times
- cold:  run_screen without a cache (company filters pushed into SQL, features for matches only)
- first: run_screen with an empty FeatureCache (loads the whole universe once)
- warm:  run_screen with the cache filled (fingerprint query + numpy masks + argpartition)
- naive: load the tables into pandas, filter, score, sort
- duckdb: the same filter and score as one DuckDB query over the same rows held in DuckDB
Prints the ratios, and peak memory (maxrss) on the last line.

    .venv/bin/python bench/bench_screen.py [--sizes 50000,1000000] [--runs 7] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from services.screening import FeatureCache, parse_spec, run_screen
from workbench.db import make_engine, make_session_factory, migrate, store_is_empty
from workbench.demo import DemoSize, seed_demo

AS_OF = dt.date(2026, 11, 20)
SPEC = parse_spec({
    "name": "bench: leveraged industrials with a maturity wall",
    "filters": {"conditions": [
        {"field": "sector", "op": "in", "value": ["Industrials", "Materials", "Energy"]},
        {"field": "market_cap_usd_m", "op": ">=", "value": 250},
        {"field": "net_debt_to_ebitda", "op": "between", "value": [1.0, 8.0]},
        {"field": "debt_maturing_24m_usd_m", "op": ">", "value": 0},
    ]},
    "score": {"name": "dcm"},
    "top_n": 100,
})  # fmt: skip


def _median_ms(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def build_store(n: int, path: Path) -> object:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    factory = make_session_factory(engine)
    if store_is_empty(factory):
        t = time.perf_counter()
        seed_demo(factory, DemoSize(companies=n, deals=max(n // 20, 1000), documents=0,
                                    price_years=1 if n <= 100_000 else 0, seed=7, as_of=AS_OF))  # fmt: skip
        print(f"built {n:,} companies in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return factory


def naive(engine) -> pd.DataFrame:
    """What a notebook would do: whole tables into pandas, then filter and score."""
    companies = pd.read_sql("SELECT * FROM companies", engine)
    debt = pd.read_sql("SELECT * FROM debt_instruments", engine, parse_dates=["maturity_date", "issue_date"])
    as_of = pd.Timestamp(AS_OF)
    live = debt[(debt.issue_date.isna() | (debt.issue_date <= as_of)) & (debt.maturity_date > as_of)]
    soon = live[live.maturity_date <= as_of + pd.DateOffset(months=24)]
    mat = soon.groupby("company_id").amount_usd_m.sum().rename("mat24")
    live = live.assign(w=live.amount_usd_m * live.coupon_pct)
    cpn = (live.groupby("company_id").w.sum() / live.groupby("company_id").amount_usd_m.sum()).rename("cpn")
    df = companies.merge(mat, left_on="id", right_index=True, how="left").merge(cpn, left_on="id", right_index=True, how="left")
    df["mat24"] = df["mat24"].fillna(0.0)
    df["lev"] = np.where(df.ebitda_usd_m > 0, df.net_debt_usd_m / df.ebitda_usd_m, np.nan)
    df = df[df.sector.str.lower().isin(["industrials", "materials", "energy"]) & (df.market_cap_usd_m >= 250)
            & df.lev.between(1.0, 8.0) & (df.mat24 > 0)].copy()  # fmt: skip
    ramp = lambda x, lo, hi: ((x - lo) / (hi - lo)).clip(0, 1).fillna(0)  # noqa: E731
    df["score"] = 100 * (2 * ramp(df.mat24 / df.cash_usd_m.where(df.cash_usd_m > 0), 0, 2)
                         + 1.5 * ramp(df.mat24 / df.ebitda_usd_m, 0, 3) + ramp(df.lev, 1, 5)
                         + 0.5 * ramp(df.rating.map(RATING).astype(float), 21, 0) + ramp(df.cpn - 6.0, 0, 2)) / 6.0  # fmt: skip
    return df.sort_values(["score", "key"], ascending=[False, True]).head(100)


RATING = {r: i for i, r in enumerate(("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB",
                                      "BB-", "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D"))}  # fmt: skip


def duckdb_query(engine) -> tuple[float, float]:
    """Load the same rows into DuckDB (not timed as the query), then time the one-query screen."""
    import duckdb

    con = duckdb.connect()
    con.register("companies_df", pd.read_sql("SELECT id, key, sector, market_cap_usd_m, ebitda_usd_m, net_debt_usd_m, "
                                             "cash_usd_m, rating FROM companies", engine))  # fmt: skip
    con.register("debt_df", pd.read_sql("SELECT company_id, amount_usd_m, coupon_pct, issue_date, maturity_date "
                                        "FROM debt_instruments", engine, parse_dates=["issue_date", "maturity_date"]))  # fmt: skip
    con.execute("CREATE TABLE companies AS SELECT * FROM companies_df; CREATE TABLE debt AS SELECT * FROM debt_df")
    con.execute("CREATE TABLE ratings(r VARCHAR, notch INT)")
    con.executemany("INSERT INTO ratings VALUES (?, ?)", list(RATING.items()))
    sql = """
    WITH d AS (
      SELECT company_id,
             sum(CASE WHEN maturity_date <= DATE '2028-11-20' THEN amount_usd_m ELSE 0 END) AS mat24,
             sum(amount_usd_m * coupon_pct) / nullif(sum(CASE WHEN coupon_pct IS NOT NULL THEN amount_usd_m END), 0) AS cpn
      FROM debt WHERE (issue_date IS NULL OR issue_date <= DATE '2026-11-20') AND maturity_date > DATE '2026-11-20'
      GROUP BY company_id),
    f AS (
      SELECT c.key, coalesce(d.mat24, 0) AS mat24, d.cpn, c.cash_usd_m, c.ebitda_usd_m, r.notch,
             CASE WHEN c.ebitda_usd_m > 0 THEN c.net_debt_usd_m / c.ebitda_usd_m END AS lev
      FROM companies c LEFT JOIN d ON d.company_id = c.id LEFT JOIN ratings r ON r.r = upper(trim(c.rating))
      WHERE lower(c.sector) IN ('industrials', 'materials', 'energy') AND c.market_cap_usd_m >= 250)
    SELECT key, 100 * (
        2 * coalesce(least(greatest((mat24 / CASE WHEN cash_usd_m > 0 THEN cash_usd_m END) / 2, 0), 1), 0)
      + 1.5 * coalesce(least(greatest((mat24 / CASE WHEN ebitda_usd_m > 0 THEN ebitda_usd_m END) / 3, 0), 1), 0)
      + coalesce(least(greatest((lev - 1) / 4, 0), 1), 0)
      + 0.5 * coalesce(least(greatest((21 - notch) / 21.0, 0), 1), 0)
      + coalesce(least(greatest((cpn - 6.0) / 2, 0), 1), 0)) / 6.0 AS score
    FROM f WHERE lev BETWEEN 1.0 AND 8.0 AND mat24 > 0
    ORDER BY score DESC, key LIMIT 100
    """
    con.execute(sql).fetchall()  # warm DuckDB's own caches
    ms, _ = _median_ms(lambda: con.execute(sql).fetchall(), 7)
    con.close()
    return ms, 0.0


def bench_size(n: int, runs: int, keep: bool) -> dict[str, float]:
    path = Path(f"/tmp/bench_screen_{n}.db")
    factory = build_store(n, path)
    engine = factory.kw["bind"]
    call = lambda cache=None: run_screen(SPEC, session_factory=factory, as_of=AS_OF, cache=cache,  # noqa: E731
                                         cache_key="bench", record_audit=False)  # fmt: skip
    cold_ms, cold = _median_ms(call, max(3, runs // 2))
    cache = FeatureCache()
    t = time.perf_counter()
    call(cache)
    first_ms = (time.perf_counter() - t) * 1000
    warm_ms, warm = _median_ms(lambda: call(cache), runs)
    assert list(cold.rows["key"]) == list(warm.rows["key"]), "cached and SQL paths disagree"
    naive_ms, naive_top = _median_ms(lambda: naive(engine), 1 if n > 100_000 else 3)
    duck_ms, _ = duckdb_query(engine)
    overlap = len(set(naive_top["key"]) & set(warm.rows["key"]))
    print(f"{n:>9,} companies: matched {warm.matched:,}; cold {cold_ms:.0f} ms, first cached {first_ms:.0f} ms, "
          f"warm {warm_ms:.1f} ms (fingerprint {warm.timings_ms.get('fingerprint', 0):.1f} ms), naive pandas "
          f"{naive_ms:.0f} ms, duckdb query {duck_ms:.1f} ms; naive top-100 overlap {overlap}/100", file=sys.stderr)  # fmt: skip
    if not keep:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {"cold": cold_ms, "first": first_ms, "warm": warm_ms, "naive": naive_ms, "duckdb": duck_ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite stores in /tmp for the next run")
    args = parser.parse_args()
    pairs = []
    for n in (int(s) for s in args.sizes.split(",")):
        r = bench_size(n, args.runs, args.keep)
        tag = f"{n // 1000}k"
        pairs += [f"screen_{tag}_warm_ms: {r['warm']:.1f} ms", f"screen_{tag}_cold_ms: {r['cold']:.0f} ms",
                  f"screen_{tag}_first_cached_ms: {r['first']:.0f} ms", f"naive_{tag}_ms: {r['naive']:.0f} ms",
                  f"duckdb_{tag}_ms: {r['duckdb']:.1f} ms", f"naive_over_warm_{tag}: {r['naive'] / r['warm']:.1f} x",
                  f"duckdb_over_warm_{tag}: {r['duckdb'] / r['warm']:.2f} x"]  # fmt: skip
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs.append(f"peak_rss_mb: {peak_mb:.0f} MB")
    print(", ".join(pairs))


if __name__ == "__main__":
    main()
