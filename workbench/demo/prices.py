"""Daily prices of listed companies: geometric Brownian motion with market, sector and
idiosyncratic factors, a few market sell-offs and single-name gaps."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from workbench.demo.companies import FrozenUniverse
from workbench.demo.vocabulary import SECTORS

PHASE_PRICES = 3
PRICE_CHUNK_ROWS = 50_000


def business_days(as_of: dt.date, years: int) -> np.ndarray:
    """Monday-to-Friday dates ending at as_of (or the business day before it)."""
    if years <= 0:
        return np.zeros(0, dtype="datetime64[D]")
    end = np.datetime64(as_of, "D") + 1
    start = np.datetime64(as_of.replace(year=as_of.year - years), "D") + 1
    days = np.arange(start, end, dtype="datetime64[D]")
    return days[np.is_busday(days)]


def _factors(seed: int, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, PHASE_PRICES, 0])
    market = rng.normal(0.0003, 0.0095, n_days)
    # A few sell-offs: a sharp fall over weeks, then a slower partial recovery.
    for _ in range(max(1, n_days // 260)):
        length = int(rng.integers(12, 35))
        if n_days <= length * 3:
            break
        start = int(rng.integers(0, n_days - length * 3))
        depth = rng.uniform(0.12, 0.28)
        market[start:start + length] += math.log(1 - depth) / length
        market[start:start + length] *= 1.0 + rng.uniform(0.3, 0.8)
        market[start + length:start + 3 * length] += -math.log(1 - depth) * 0.6 / (2 * length)
    sector = rng.normal(0.0, 0.0065, (len(SECTORS), n_days))
    for s in range(len(SECTORS)):
        if rng.random() < 0.5 and n_days > 60:
            length = int(rng.integers(10, 30))
            start = int(rng.integers(0, n_days - length))
            sector[s, start:start + length] += math.log(1 - rng.uniform(0.08, 0.2)) / length
    return market, sector


def price_chunks(universe: FrozenUniverse, *, seed: int, as_of: dt.date, years: int,
                 first_trade: dict[int, dt.date], last_trade: dict[int, dt.date] | None = None,
                 ) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Yield (rows, companies done) chunk by chunk; first_trade holds IPO dates by company
    id, last_trade the day a company taken over was delisted (no prices after it)."""
    last_trade = last_trade or {}
    days = business_days(as_of, years)
    listed = np.flatnonzero(universe.listed.astype(bool))
    if not len(days) or not len(listed):
        return
    market, sector_f = _factors(seed, len(days))
    day_objs: list[dt.date] = days.astype(object).tolist()
    per_chunk = max(1, PRICE_CHUNK_ROWS // len(days))
    for chunk_no, lo in enumerate(range(0, len(listed), per_chunk)):
        idx = listed[lo:lo + per_chunk]
        rng = np.random.default_rng([seed, PHASE_PRICES, chunk_no + 1])
        m = len(idx)
        size = np.log10(np.maximum(universe.market_cap[idx], 10.0))
        vol = np.clip(0.028 - 0.004 * (size - 2.0), 0.008, 0.035) * np.exp(rng.normal(0, 0.2, m))
        beta = rng.uniform(0.6, 1.5, m)
        loading = rng.uniform(0.5, 1.2, m)
        sectors = universe.sector[idx].astype(np.int64)
        returns = (beta[:, None] * market[None, :] + loading[:, None] * sector_f[sectors]
                   + rng.normal(0.0, 1.0, (m, len(days))) * vol[:, None] - 0.5 * vol[:, None] ** 2)
        gap = rng.random(m) < 0.3
        gap_day = rng.integers(0, len(days), m)
        gap_size = np.log(1 - rng.uniform(0.08, 0.3, m))
        returns[np.flatnonzero(gap), gap_day[gap]] += gap_size[gap]
        log_path = np.cumsum(returns, axis=1)
        last = np.clip(np.exp(rng.normal(math.log(45.0), 0.8, m)), 2.0, 900.0)
        close = last[:, None] * np.exp(log_path - log_path[:, -1:])
        noise = rng.normal(0.0, 1.0, (m, len(days))) * vol[:, None]
        prev = np.concatenate([close[:, :1], close[:, :-1]], axis=1)
        open_ = prev * np.exp(0.3 * noise)
        top = np.maximum(open_, close)
        bottom = np.minimum(open_, close)
        high = top * (1 + np.abs(rng.normal(0.0, 0.5, (m, len(days)))) * vol[:, None])
        low = bottom * (1 - np.minimum(np.abs(rng.normal(0.0, 0.5, (m, len(days)))) * vol[:, None], 0.5))
        shares = universe.market_cap[idx] * 1e6 / last
        turnover = 0.004 * np.exp(rng.normal(0.0, 0.5, (m, len(days)))) * (1 + 20 * np.abs(returns))
        volume = (shares[:, None] * turnover).astype(np.int64)

        rows: list[dict[str, Any]] = []
        ids = universe.ids[idx].tolist()
        o_l, h_l, l_l, c_l = (np.round(a, 4).tolist() for a in (open_, high, low, close))
        v_l = volume.tolist()
        for j, cid in enumerate(ids):
            start, stop = 0, len(day_objs)
            ipo = first_trade.get(cid)
            if ipo is not None:
                start = int(np.searchsorted(days, np.datetime64(ipo, "D")))
            delisted = last_trade.get(cid)
            if delisted is not None:
                stop = int(np.searchsorted(days, np.datetime64(delisted, "D"), side="right"))
            oj, hj, lj, cj, vj = o_l[j], h_l[j], l_l[j], c_l[j], v_l[j]
            rows.extend(
                {"company_id": cid, "date": day_objs[t], "open": oj[t], "high": hj[t],
                 "low": lj[t], "close": cj[t], "volume": vj[t]}
                for t in range(start, stop)
            )
        yield rows, lo + m
