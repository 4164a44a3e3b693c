"""The store at a glance: what the Home page shows.

Every figure is aggregated in SQL (COUNT, SUM, MAX with GROUP BY); only the 15 latest deals
and a few hundred grouped rows travel to Python, so the overview costs the same on a store
of three thousand companies as on one of a million.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import extract, func, select, true
from sqlalchemy.orm import Session, sessionmaker

from workbench.access import PUBLIC, Viewer, deal_visible, document_visible, event_visible, watchlist_visible
from workbench.domain import DEAL_TYPE_LABELS, DealType, ListingStatus, PartyRole
from workbench.models import AlertEvent, Company, Deal, DealParty, Document, Price, Watchlist

LATEST_DEALS = 15
VOLUME_YEARS = 3
UNCLASSIFIED = "Unclassified"

LATEST_DEAL_COLUMNS = ["date", "type", "name", "size_usd_m", "sector", "region", "banks"]
VOLUME_COLUMNS = ["quarter", "deal_type", "volume_usd_m", "deals"]
MIX_COLUMNS = ["sector", "region", "companies"]


@dataclass(frozen=True)
class Overview:
    companies: int = 0
    listed_companies: int = 0
    private_companies: int = 0
    deals: int = 0
    # Deal type label -> number of deals, in the order of DealType, types with no deal left out.
    deals_by_type: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    prices: int = 0
    watchlists: int = 0
    open_alerts: int = 0
    latest_price_date: dt.date | None = None
    latest_deal_date: dt.date | None = None
    # date, type, name, size_usd_m, sector, region, banks (bookrunners and advisors)
    latest_deals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=LATEST_DEAL_COLUMNS)
    )
    # quarter ("2026 Q3"), deal_type (label), volume_usd_m, deals; oldest quarter first
    quarterly_volume: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=VOLUME_COLUMNS)
    )
    # sector, region, companies
    sector_mix: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MIX_COLUMNS))

    @property
    def is_empty(self) -> bool:
        return not (self.companies or self.deals or self.documents)


def _type_label(value: str | None) -> str:
    try:
        return DEAL_TYPE_LABELS[DealType(value)]
    except ValueError:
        return value or UNCLASSIFIED


def _volume_start(latest: dt.date, years: int) -> dt.date:
    """First day of the quarter that makes `years` whole years of quarters end with latest's."""
    quarter_start_month = 3 * ((latest.month - 1) // 3) + 1
    months_back = 3 * (4 * years - 1)
    index = latest.year * 12 + (quarter_start_month - 1) - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _quarterly_volume(session: Session, latest: dt.date, years: int, viewer: Viewer) -> pd.DataFrame:
    start = _volume_start(latest, years)
    # Grouped by month in SQL because SQLite has no quarter extract; at most 36 months x 7
    # types come back, and pandas folds them into quarters.
    year = extract("year", Deal.announced_date)
    month = extract("month", Deal.announced_date)
    rows = session.execute(
        select(
            year.label("year"),
            month.label("month"),
            Deal.deal_type,
            func.coalesce(func.sum(Deal.size_usd_m), 0.0),
            func.count(),
        )
        .where(Deal.announced_date >= start, Deal.announced_date <= latest, deal_visible(viewer))
        .group_by(year, month, Deal.deal_type)
    ).all()
    if not rows:
        return pd.DataFrame(columns=VOLUME_COLUMNS)
    frame = pd.DataFrame(
        [
            (int(y), (int(m) - 1) // 3 + 1, _type_label(t), float(v), int(n))
            for y, m, t, v, n in rows
        ],
        columns=["year", "q", "deal_type", "volume_usd_m", "deals"],
    )
    frame = frame.groupby(["year", "q", "deal_type"], as_index=False)[
        ["volume_usd_m", "deals"]
    ].sum()
    frame = frame.sort_values(["year", "q", "deal_type"], kind="stable")
    frame.insert(
        0, "quarter", [f"{y} Q{q}" for y, q in zip(frame["year"], frame["q"], strict=True)]
    )
    return frame[VOLUME_COLUMNS].reset_index(drop=True)


def _latest_deals(session: Session, limit: int, viewer: Viewer) -> pd.DataFrame:
    deals = session.execute(
        select(
            Deal.id,
            Deal.announced_date,
            Deal.deal_type,
            Deal.name,
            Deal.size_usd_m,
            Deal.sector,
            Deal.region,
        )
        .where(deal_visible(viewer))
        .order_by(Deal.announced_date.desc().nulls_last(), Deal.id.desc())
        .limit(limit)
    ).all()
    if not deals:
        return pd.DataFrame(columns=LATEST_DEAL_COLUMNS)
    banks: dict[int, list[str]] = {}
    for deal_id, name in session.execute(
        select(DealParty.deal_id, DealParty.name)
        .where(
            DealParty.deal_id.in_([d.id for d in deals]),
            DealParty.role.in_([PartyRole.BOOKRUNNER.value, PartyRole.ADVISOR.value]),
        )
        .order_by(DealParty.deal_id, DealParty.id)
    ):
        banks.setdefault(deal_id, []).append(name)
    return pd.DataFrame(
        [
            (
                d.announced_date,
                _type_label(d.deal_type),
                d.name,
                d.size_usd_m,
                d.sector,
                d.region,
                ", ".join(banks.get(d.id, [])),
            )
            for d in deals
        ],
        columns=LATEST_DEAL_COLUMNS,
    )


def _sector_mix(session: Session) -> pd.DataFrame:
    sector = func.coalesce(Company.sector, UNCLASSIFIED)
    region = func.coalesce(Company.region, UNCLASSIFIED)
    rows = session.execute(
        select(sector, region, func.count()).group_by(sector, region).order_by(sector, region)
    ).all()
    return pd.DataFrame([(s, r, int(n)) for s, r, n in rows], columns=MIX_COLUMNS)


def _count(session: Session, model: type, where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)


def store_overview(
    *,
    session_factory: sessionmaker[Session],
    latest: int = LATEST_DEALS,
    years: int = VOLUME_YEARS,
    viewer: Viewer = PUBLIC,
) -> Overview:
    """Counts, data as-of dates, the latest deals, quarterly deal volume and the sector mix.

    Deal volume covers the `years` years of quarters that end with the latest deal's quarter
    (the data's own as-of, not today), so an older import still shows a full chart.
    Deals, documents, watchlists and alerts count only what ``viewer`` may see.
    """
    with session_factory.begin() as session:
        status_counts = dict(
            session.execute(
                select(Company.listing_status, func.count()).group_by(Company.listing_status)
            ).all()
        )
        type_counts = dict(
            session.execute(
                select(Deal.deal_type, func.count()).where(deal_visible(viewer)).group_by(Deal.deal_type)
            ).all()
        )
        deals_by_type = {
            t.label: int(type_counts[t.value]) for t in DealType if type_counts.get(t.value)
        }
        # Types outside the vocabulary (an import's own labels) still count.
        known = {t.value for t in DealType}
        deals_by_type.update(
            {_type_label(t): int(n) for t, n in type_counts.items() if t not in known}
        )
        latest_deal_date = session.scalar(select(func.max(Deal.announced_date)).where(deal_visible(viewer)))
        latest_price_date = session.scalar(select(func.max(Price.date)))
        open_alerts = int(
            session.scalar(
                select(func.count())
                .select_from(AlertEvent)
                .where(AlertEvent.acknowledged_at.is_(None), event_visible(viewer))
            )
            or 0
        )
        return Overview(
            companies=int(sum(status_counts.values())),
            listed_companies=int(status_counts.get(ListingStatus.LISTED.value, 0)),
            private_companies=int(status_counts.get(ListingStatus.PRIVATE.value, 0)),
            deals=int(sum(type_counts.values())),
            deals_by_type=deals_by_type,
            documents=_count(session, Document, document_visible(viewer)),
            prices=_count(session, Price, true()),
            watchlists=_count(session, Watchlist, watchlist_visible(viewer)),
            open_alerts=open_alerts,
            latest_price_date=latest_price_date,
            latest_deal_date=latest_deal_date,
            latest_deals=_latest_deals(session, latest, viewer),
            quarterly_volume=(
                _quarterly_volume(session, latest_deal_date, years, viewer)
                if latest_deal_date
                else pd.DataFrame(columns=VOLUME_COLUMNS)
            ),
            sector_mix=_sector_mix(session),
        )
