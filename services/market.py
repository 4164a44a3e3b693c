"""Market views: returns, sector indices, 52-week statistics, deal flow, issuance and league tables.

Prices are read set-based (one query per measure, aggregated in SQL where the database can
do it) and shaped with pandas. A sector index is the equal-weight average of its members'
daily close-to-close returns, rebased to 100; one-day moves beyond -45 % / +90 % are left
out of it because they are far more often splits or bad rows than real moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from workbench.access import PUBLIC, Viewer, deal_visible, watchlist_visible
from workbench.domain import DEAL_TYPE_LABELS, DealType, PartyRole
from workbench.errors import WorkbenchError
from workbench.models import Company, DebtInstrument, Deal, DealParty, Price, Watchlist, WatchlistItem
from workbench.user_input import plain_text

SPLIT_DOWN_RATIO = 0.55
SPLIT_UP_RATIO = 1.90
RETURN_PERIODS: dict[str, int] = {"1d": 1, "1w": 7, "1m": 30, "3m": 91}
LEAGUE_ROLES = (PartyRole.BOOKRUNNER.value, PartyRole.ADVISOR.value)
MAX_ROWS = 5000


def _type_label(value: str | None) -> str:
    try:
        return DEAL_TYPE_LABELS[DealType(value)]
    except ValueError:
        return value or ""


def latest_price_date(*, session_factory: sessionmaker[Session]) -> dt.date | None:
    """The newest date with prices: the natural as-of date of the market views."""
    with session_factory() as session:
        return session.scalar(select(func.max(Price.date)))


def _closes_on_or_before(session: Session, day: dt.date, ids: Any = None, window_days: int = 10) -> pd.Series:
    """Each company's last positive close on or before ``day`` (within ``window_days``), by company id."""
    where = [Price.date <= day, Price.date > day - dt.timedelta(days=window_days), Price.close > 0]
    if ids is not None:
        where.append(Price.company_id.in_(ids))
    last = select(Price.company_id, func.max(Price.date).label("d")).where(*where).group_by(Price.company_id).subquery()
    rows = session.execute(
        select(Price.company_id, Price.close).join(last, and_(Price.company_id == last.c.company_id,
                                                              Price.date == last.c.d))
    ).all()  # fmt: skip
    return pd.Series({int(c): float(v) for c, v in rows}, dtype="float64")


WATCHLIST_COLUMNS = ["company_id", "ticker", "name", "sector", "last_date", "close", "ret_1d_pct", "ret_1w_pct",
                     "ret_1m_pct", "ret_ytd_pct", "high_52w", "from_high_pct", "next_maturity",
                     "next_maturity_usd_m", "note"]  # fmt: skip


def watchlist_table(watchlist_id: int, *, session_factory: sessionmaker[Session],
                    as_of: dt.date | None = None, viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """One row per watched name: returns over 1d/1w/1m/YTD, distance to 52-week high, next maturity."""
    with session_factory() as session:
        if session.scalar(select(Watchlist.id).where(Watchlist.id == watchlist_id, watchlist_visible(viewer))) is None:
            return pd.DataFrame(columns=WATCHLIST_COLUMNS)  # unknown and hidden lists alike: nothing to show
        as_of = as_of or session.scalar(select(func.max(Price.date))) or dt.date.today()
        names = session.execute(
            select(Company.id, Company.ticker, Company.name, Company.sector, WatchlistItem.note)
            .join(WatchlistItem, WatchlistItem.company_id == Company.id)
            .where(WatchlistItem.watchlist_id == watchlist_id).order_by(Company.name)
        ).all()  # fmt: skip
        frame = pd.DataFrame([tuple(r) for r in names], columns=["company_id", "ticker", "name", "sector", "note"])
        if frame.empty:
            return pd.DataFrame(columns=WATCHLIST_COLUMNS)
        ids = select(WatchlistItem.company_id).where(WatchlistItem.watchlist_id == watchlist_id)
        last = select(Price.company_id, func.max(Price.date).label("d")).where(
            Price.date <= as_of, Price.date > as_of - dt.timedelta(days=10), Price.close > 0,
            Price.company_id.in_(ids)).group_by(Price.company_id).subquery()  # fmt: skip
        now = session.execute(
            select(Price.company_id, Price.date, Price.close)
            .join(last, and_(Price.company_id == last.c.company_id, Price.date == last.c.d))
        ).all()  # fmt: skip
        # 1d is the previous trading day, wherever it falls; the other periods are calendar spans.
        prev = session.execute(
            select(Price.company_id, func.max(Price.date))
            .join(last, Price.company_id == last.c.company_id)
            .where(Price.date < last.c.d, Price.date > as_of - dt.timedelta(days=15), Price.close > 0)
            .group_by(Price.company_id)
        ).all()  # fmt: skip
        prev_close = {}
        if prev:
            pairs = {(int(c), d) for c, d in prev}
            rows = session.execute(select(Price.company_id, Price.date, Price.close).where(
                Price.company_id.in_([c for c, _ in pairs]), Price.date.in_({d for _, d in pairs}))).all()  # fmt: skip
            prev_close = {int(c): float(v) for c, d, v in rows if (int(c), d) in pairs}
        base = {
            "ret_1w_pct": _closes_on_or_before(session, as_of - dt.timedelta(days=7), ids),
            "ret_1m_pct": _closes_on_or_before(session, as_of - dt.timedelta(days=30), ids),
            "ret_ytd_pct": _closes_on_or_before(session, dt.date(as_of.year - 1, 12, 31), ids),
        }
        high = dict(session.execute(
            select(Price.company_id, func.max(Price.close))
            .where(Price.company_id.in_(ids), Price.date > as_of - dt.timedelta(days=365), Price.date <= as_of,
                   Price.close > 0).group_by(Price.company_id)
        ).all())  # fmt: skip
        nxt = select(DebtInstrument.company_id, func.min(DebtInstrument.maturity_date).label("m")).where(
            DebtInstrument.company_id.in_(ids), DebtInstrument.maturity_date >= as_of
        ).group_by(DebtInstrument.company_id).subquery()  # fmt: skip
        maturities = session.execute(
            select(DebtInstrument.company_id, DebtInstrument.maturity_date, func.sum(DebtInstrument.amount_usd_m))
            .join(nxt, and_(nxt.c.company_id == DebtInstrument.company_id, nxt.c.m == DebtInstrument.maturity_date))
            .group_by(DebtInstrument.company_id, DebtInstrument.maturity_date)
        ).all()  # fmt: skip
    cur = {int(c): (d, float(v)) for c, d, v in now}
    frame["last_date"] = frame["company_id"].map(lambda c: cur.get(c, (None, None))[0])
    frame["close"] = frame["company_id"].map(lambda c: cur.get(c, (None, np.nan))[1]).astype("float64")
    frame["ret_1d_pct"] = (frame["close"] / frame["company_id"].map(prev_close).astype("float64") - 1) * 100
    for col, series in base.items():
        frame[col] = (frame["close"] / frame["company_id"].map(series).astype("float64") - 1) * 100
    frame["high_52w"] = frame["company_id"].map({int(k): float(v) for k, v in high.items()}).astype("float64")
    frame["from_high_pct"] = (frame["close"] / frame["high_52w"] - 1) * 100
    mat = {int(c): (m, float(a)) for c, m, a in maturities}
    frame["next_maturity"] = frame["company_id"].map(lambda c: mat.get(c, (None, None))[0])
    frame["next_maturity_usd_m"] = frame["company_id"].map(lambda c: mat.get(c, (None, np.nan))[1]).astype("float64")
    return frame[WATCHLIST_COLUMNS].round({c: 2 for c in WATCHLIST_COLUMNS if c.endswith("_pct")})


def _sector_daily_returns(session: Session, sector: str, start: dt.date, end: dt.date) -> pd.Series:
    """Equal-weight mean of the sector members' daily returns, by date, aggregated in SQL."""
    inner = (
        select(Price.date, Price.close,
               func.lag(Price.close).over(partition_by=Price.company_id, order_by=Price.date).label("prev"))
        .join(Company, Company.id == Price.company_id)
        .where(Company.sector == sector, Price.date >= start - dt.timedelta(days=10), Price.date <= end,
               Price.close > 0)
        .subquery()
    )  # fmt: skip
    ret = inner.c.close / inner.c.prev - 1.0
    rows = session.execute(
        select(inner.c.date, func.avg(ret), func.count())
        .where(inner.c.date >= start, inner.c.prev > 0, inner.c.close >= inner.c.prev * SPLIT_DOWN_RATIO,
               inner.c.close <= inner.c.prev * SPLIT_UP_RATIO)
        .group_by(inner.c.date).order_by(inner.c.date)
    ).all()  # fmt: skip
    return pd.Series({d: float(r) for d, r, _n in rows}, dtype="float64")


def price_vs_sector(company_id: int, *, session_factory: sessionmaker[Session], start: dt.date | None = None,
                    end: dt.date | None = None) -> pd.DataFrame:  # fmt: skip
    """A name's close and its sector's equal-weight index, both rebased to 100 at the first common date.

    Columns: date, close, company (rebased), sector_index (rebased), sector. Empty when there are no prices.
    """
    with session_factory() as session:
        company = session.execute(select(Company.name, Company.sector).where(Company.id == company_id)).one_or_none()
        if company is None:
            raise WorkbenchError(f"no company with id {company_id}")
        end = end or session.scalar(select(func.max(Price.date)).where(Price.company_id == company_id))
        if end is None:
            return pd.DataFrame(columns=["date", "close", "company", "sector_index", "sector"])
        start = start or end - dt.timedelta(days=365)
        prices = session.execute(
            select(Price.date, Price.close).where(Price.company_id == company_id, Price.date >= start,
                                                  Price.date <= end, Price.close > 0).order_by(Price.date)
        ).all()  # fmt: skip
        sector_ret = _sector_daily_returns(session, company.sector, start, end) if company.sector else pd.Series()
    frame = pd.DataFrame([tuple(r) for r in prices], columns=["date", "close"])
    if frame.empty:
        return pd.DataFrame(columns=["date", "close", "company", "sector_index", "sector"])
    frame["company"] = frame["close"] / frame["close"].iloc[0] * 100
    if len(sector_ret):
        index = (1 + sector_ret).cumprod()
        aligned = index.reindex(frame["date"]).ffill().to_numpy()
        first = aligned[0] if not np.isnan(aligned[0]) else 1.0
        frame["sector_index"] = aligned / first * 100
        frame.loc[frame.index[0], "sector_index"] = 100.0
    else:
        frame["sector_index"] = np.nan
    frame["sector"] = company.sector
    return frame


def sector_returns(*, session_factory: sessionmaker[Session], as_of: dt.date | None = None) -> pd.DataFrame:
    """Equal-weight mean return of each sector's members over 1d, 1w, 1m, 3m and YTD, in percent.

    Rows are sectors, columns periods; ``members`` counts names with a current close.
    """
    with session_factory() as session:
        as_of = as_of or session.scalar(select(func.max(Price.date))) or dt.date.today()
        sectors = dict(session.execute(select(Company.id, Company.sector).where(Company.sector.is_not(None))).all())
        now = _closes_on_or_before(session, as_of)
        bases: dict[str, pd.Series] = {}
        for label, days in RETURN_PERIODS.items():
            if label == "1d":
                # The previous trading day across the market, so that 1d means one session.
                latest = session.scalar(select(func.max(Price.date)).where(Price.date <= as_of))
                prev_day = session.scalar(select(func.max(Price.date)).where(Price.date < latest)) if latest else None
                bases[label] = _closes_on_or_before(session, prev_day, window_days=5) if prev_day else pd.Series()
            else:
                bases[label] = _closes_on_or_before(session, as_of - dt.timedelta(days=days))
        bases["YTD"] = _closes_on_or_before(session, dt.date(as_of.year - 1, 12, 31))
    frame = pd.DataFrame({"close": now})
    frame["sector"] = frame.index.map(sectors)
    for label, base in bases.items():
        ratio = frame["close"] / base.reindex(frame.index)
        # Split-sized moves would swamp an equal-weight mean; leave them out.
        ratio = ratio.where((ratio > SPLIT_DOWN_RATIO) & (ratio < SPLIT_UP_RATIO)) if label == "1d" else ratio
        frame[label] = (ratio - 1) * 100
    frame = frame.dropna(subset=["sector"])
    if frame.empty:
        return pd.DataFrame(columns=[*RETURN_PERIODS, "YTD", "members"])
    out = frame.groupby("sector")[[*RETURN_PERIODS, "YTD"]].mean().round(2)
    out["members"] = frame.groupby("sector")["close"].count()
    return out.sort_index()


# --------------------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------------------


def _deal_where(start: dt.date | None, end: dt.date | None, deal_types: Sequence[str] | None,
                sectors: Sequence[str] | None, regions: Sequence[str] | None, viewer: Viewer) -> list[Any]:  # fmt: skip
    where: list[Any] = [Deal.announced_date.is_not(None), deal_visible(viewer)]
    if start is not None:
        where.append(Deal.announced_date >= start)
    if end is not None:
        where.append(Deal.announced_date <= end)
    if deal_types:
        where.append(Deal.deal_type.in_(list(deal_types)))
    if sectors:
        where.append(Deal.sector.in_(list(sectors)))
    if regions:
        where.append(Deal.region.in_(list(regions)))
    return where


def deal_filter_choices(*, session_factory: sessionmaker[Session], viewer: Viewer = PUBLIC) -> dict[str, list[str]]:
    """Deal types, sectors and regions present among the deals the viewer may see, for filter widgets."""
    with session_factory() as session:
        def distinct(col: Any) -> list[str]:
            return sorted(v for v in session.scalars(select(col).where(deal_visible(viewer)).distinct()) if v)

        return {"deal_types": distinct(Deal.deal_type), "sectors": distinct(Deal.sector),
                "regions": distinct(Deal.region)}  # fmt: skip


DEAL_FLOW_COLUMNS = ["announced_date", "deal_type", "type", "name", "status", "size_usd_m", "sector", "region",
                     "country"]  # fmt: skip


def deal_flow(*, session_factory: sessionmaker[Session], start: dt.date | None = None, end: dt.date | None = None,
              deal_types: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
              regions: Sequence[str] | None = None, limit: int = 200,
              viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """The latest deals matching the filters, newest first."""
    limit = max(1, min(int(limit), MAX_ROWS))
    with session_factory() as session:
        rows = session.execute(
            select(Deal.announced_date, Deal.deal_type, Deal.name, Deal.status, Deal.size_usd_m, Deal.sector,
                   Deal.region, Deal.country)
            .where(*_deal_where(start, end, deal_types, sectors, regions, viewer))
            .order_by(Deal.announced_date.desc(), Deal.id.desc()).limit(limit)
        ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[c for c in DEAL_FLOW_COLUMNS if c != "type"])
    frame.insert(2, "type", frame["deal_type"].map(_type_label))
    return frame[DEAL_FLOW_COLUMNS]


def issuance_volume(*, session_factory: sessionmaker[Session], start: dt.date, end: dt.date,
                    deal_types: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
                    regions: Sequence[str] | None = None, viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """Deal count and volume (USD m) by week (starting Monday) and deal type."""
    with session_factory() as session:
        rows = session.execute(
            select(Deal.announced_date, Deal.deal_type, func.count(), func.coalesce(func.sum(Deal.size_usd_m), 0.0))
            .where(*_deal_where(start, end, deal_types, sectors, regions, viewer))
            .group_by(Deal.announced_date, Deal.deal_type)
        ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["day", "deal_type", "deals", "volume_usd_m"])
    if frame.empty:
        return pd.DataFrame(columns=["week", "deal_type", "type", "deals", "volume_usd_m"])
    day = pd.to_datetime(frame["day"])
    frame["week"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date
    out = frame.groupby(["week", "deal_type"], as_index=False)[["deals", "volume_usd_m"]].sum()
    out.insert(2, "type", out["deal_type"].map(_type_label))
    out["volume_usd_m"] = out["volume_usd_m"].astype(float).round(1)
    return out.sort_values(["week", "deal_type"]).reset_index(drop=True)


def league_table(*, session_factory: sessionmaker[Session], role: str, start: dt.date, end: dt.date,
                 deal_types: Sequence[str] | None = None, sectors: Sequence[str] | None = None,
                 regions: Sequence[str] | None = None, limit: int = 25,
                 viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """Bookrunners or advisors ranked by credited volume, with deal counts and market share.

    Each deal's size is shared equally among the banks in that role on the deal (the usual
    apportioned credit), so volumes add up to the market's total.
    """
    if role not in LEAGUE_ROLES:
        raise WorkbenchError(f"league tables rank {' or '.join(LEAGUE_ROLES)}, not {str(role)[:40]!r}")
    limit = max(1, min(int(limit), MAX_ROWS))
    where = _deal_where(start, end, deal_types, sectors, regions, viewer)
    with session_factory() as session:
        banks = (
            select(DealParty.deal_id, func.count().label("n")).where(DealParty.role == role)
            .group_by(DealParty.deal_id).subquery()
        )  # fmt: skip
        credit = func.coalesce(Deal.size_usd_m, 0.0) / banks.c.n
        rows = session.execute(
            select(DealParty.name, func.sum(credit).label("volume"), func.count(func.distinct(Deal.id)).label("deals"))
            .join(Deal, Deal.id == DealParty.deal_id).join(banks, banks.c.deal_id == Deal.id)
            .where(DealParty.role == role, *where)
            .group_by(DealParty.name)
        ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["bank", "volume_usd_m", "deals"])
    if frame.empty:
        return pd.DataFrame(columns=["rank", "bank", "volume_usd_m", "deals", "share_pct"])
    frame["volume_usd_m"] = frame["volume_usd_m"].astype(float)
    total = frame["volume_usd_m"].sum()
    frame["share_pct"] = (frame["volume_usd_m"] / total * 100).round(2) if total else 0.0
    frame = frame.sort_values(["volume_usd_m", "deals", "bank"], ascending=[False, False, True]).head(limit)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame["volume_usd_m"] = frame["volume_usd_m"].round(1)
    return frame.reset_index(drop=True)


def find_companies(text: str, *, session_factory: sessionmaker[Session], limit: int = 20) -> pd.DataFrame:
    """Companies whose ticker starts with, or name contains, ``text`` (listed names with prices first)."""
    text = plain_text(text or "", "company search")[:100]
    if not text:
        return pd.DataFrame(columns=["company_id", "ticker", "name", "sector"])
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with session_factory() as session:
        rows = session.execute(
            select(Company.id, Company.ticker, Company.name, Company.sector)
            .where((func.upper(Company.ticker) == text.upper()) | Company.name.ilike(pattern, escape="\\"))
            .order_by(case((func.upper(Company.ticker) == text.upper(), 0), else_=1), Company.name)
            .limit(max(1, min(int(limit), 200)))
        ).all()  # fmt: skip
    return pd.DataFrame([tuple(r) for r in rows], columns=["company_id", "ticker", "name", "sector"])
