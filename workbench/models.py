"""The SQL store's schema: one declarative base, typed columns, portable types.

Money is in millions of the stated currency (USD for the demo universe and for every
``*_usd_m`` column). Analytic measures are floats, not Numeric: they feed ratios and
rankings, never a ledger, and floats keep SQLite and pandas fast and warning-free.
Alembic owns the schema (``workbench/migrations``); change this file, then add a revision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so that Alembic batch migrations work on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now, server_default=func.now()
    )


class Company(TimestampMixin, Base):
    __tablename__ = "companies"
    # max(updated_at) is in every screen's store fingerprint: without it, a scan per run.
    __table_args__ = (Index("ix_companies_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Natural key used by importers to upsert: a vendor id, CIK, or "TICKER" by default.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    ticker: Mapped[str | None] = mapped_column(String(32), index=True)
    exchange: Mapped[str | None] = mapped_column(String(40))
    cik: Mapped[str | None] = mapped_column(String(20))
    isin: Mapped[str | None] = mapped_column(String(12))
    lei: Mapped[str | None] = mapped_column(String(20))
    sector: Mapped[str | None] = mapped_column(String(80), index=True)
    industry: Mapped[str | None] = mapped_column(String(120))
    sub_industry: Mapped[str | None] = mapped_column(String(160))
    country: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(40), index=True)
    headquarters: Mapped[str | None] = mapped_column(String(200))
    listing_status: Mapped[str | None] = mapped_column(String(20))
    ownership: Mapped[str | None] = mapped_column(String(30))
    sponsor: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str | None] = mapped_column(String(3))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    employees: Mapped[int | None] = mapped_column(Integer)
    market_cap_usd_m: Mapped[float | None] = mapped_column(Float, index=True)
    revenue_usd_m: Mapped[float | None] = mapped_column(Float)
    ebitda_usd_m: Mapped[float | None] = mapped_column(Float)
    net_income_usd_m: Mapped[float | None] = mapped_column(Float)
    total_debt_usd_m: Mapped[float | None] = mapped_column(Float)
    cash_usd_m: Mapped[float | None] = mapped_column(Float)
    net_debt_usd_m: Mapped[float | None] = mapped_column(Float)
    revenue_growth_pct: Mapped[float | None] = mapped_column(Float)
    ebitda_margin_pct: Mapped[float | None] = mapped_column(Float)
    pe_ratio: Mapped[float | None] = mapped_column(Float)
    dividend_yield_pct: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(Text)
    financials_as_of: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(200))

    debt: Mapped[list[DebtInstrument]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )


class DebtInstrument(Base):
    """One tranche of a company's debt: the maturity ladder is built from these."""

    __tablename__ = "debt_instruments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(60))
    amount_usd_m: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    coupon_pct: Mapped[float | None] = mapped_column(Float)
    issue_date: Mapped[dt.date | None] = mapped_column(Date)
    maturity_date: Mapped[dt.date] = mapped_column(Date, index=True)
    seniority: Mapped[str | None] = mapped_column(String(30))
    secured: Mapped[bool] = mapped_column(Boolean, default=False)

    company: Mapped[Company] = relationship(back_populates="debt")


class Deal(TimestampMixin, Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_type_date", "deal_type", "announced_date"),
        Index("ix_deals_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(400))
    deal_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    announced_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    closed_date: Mapped[dt.date | None] = mapped_column(Date)
    size_usd_m: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    size_local_m: Mapped[float | None] = mapped_column(Float)
    sector: Mapped[str | None] = mapped_column(String(80), index=True)
    industry: Mapped[str | None] = mapped_column(String(160))
    region: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(80))
    # M&A
    enterprise_value_usd_m: Mapped[float | None] = mapped_column(Float)
    ev_revenue: Mapped[float | None] = mapped_column(Float)
    ev_ebitda: Mapped[float | None] = mapped_column(Float)
    premium_pct: Mapped[float | None] = mapped_column(Float)
    consideration: Mapped[str | None] = mapped_column(String(20))
    # Debt
    coupon_pct: Mapped[float | None] = mapped_column(Float)
    tenor_years: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[str | None] = mapped_column(String(8))
    # Text for search and reading
    description: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(200))
    # private-side when set: visible only to this deal team and compliance
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("deal_teams.id", ondelete="RESTRICT"), index=True
    )

    parties: Mapped[list[DealParty]] = relationship(
        back_populates="deal", cascade="all, delete-orphan"
    )


class DealParty(Base):
    __tablename__ = "deal_parties"
    __table_args__ = (UniqueConstraint("deal_id", "role", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )

    deal: Mapped[Deal] = relationship(back_populates="parties")


class Document(TimestampMixin, Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    doc_type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(400))
    doc_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    source: Mapped[str | None] = mapped_column(String(400))
    text: Mapped[str] = mapped_column(Text)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # private-side when set: visible only to this deal team and compliance
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("deal_teams.id", ondelete="RESTRICT"), index=True
    )


class StoredSummary(Base):
    """A document's summary and key figures as computed once, for every replica and restart.

    Keyed by what determines it: the text (its hash), the model, the summariser's method
    version and the length asked for. A new text or method simply finds no row.
    """

    __tablename__ = "document_summaries"
    __table_args__ = (UniqueConstraint("document_id", "text_sha256", "model_name", "method", "length"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))
    length: Mapped[str] = mapped_column(String(40))  # "sentences=5" or "words=120"
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )


class Price(Base):
    __tablename__ = "prices"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_prices_date", "date"),)


class Watchlist(TimestampMixin, Base):
    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    # private-side when set: visible only to this deal team and compliance
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("deal_teams.id", ondelete="RESTRICT"), index=True
    )

    items: Mapped[list[WatchlistItem]] = relationship(
        back_populates="watchlist", cascade="all, delete-orphan"
    )


class WatchlistItem(Base):
    __tablename__ = "watchlist_items"
    __table_args__ = (UniqueConstraint("watchlist_id", "company_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    watchlist: Mapped[Watchlist] = relationship(back_populates="items")


class AlertRule(TimestampMixin, Base):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    rule_type: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scope_type: Mapped[str] = mapped_column(String(20), default="all")
    scope_value: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(120))


class AlertEvent(Base):
    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE")
    )
    # The same condition never fires twice: evaluators derive this key from the condition.
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    fired_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    reason: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))


class SavedScreen(TimestampMixin, Base):
    __tablename__ = "saved_screens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(120))


class ScreenRun(Base):
    """A saved screen's ranked result at one as-of date, kept to compare runs."""

    __tablename__ = "screen_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screen_id: Mapped[int] = mapped_column(
        ForeignKey("saved_screens.id", ondelete="CASCADE"), index=True
    )
    as_of: Mapped[dt.date] = mapped_column(Date)
    run_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    run_by: Mapped[str | None] = mapped_column(String(120))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"company_id", "key", "name", "rank", "score"}, ...] in rank order
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)


class AuditEntry(Base):
    """Who did what, when: imports, exports, screen runs. Written append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    user: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_ref: Mapped[str | None] = mapped_column(String(400))
    row_count: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(400))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DealEmbedding(Base):
    """A deal's sentence vector for one model; re-embedded only when its text's hash changes."""

    __tablename__ = "deal_embeddings"
    __table_args__ = (UniqueConstraint("deal_id", "model_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    model_name: Mapped[str] = mapped_column(String(200))
    text_sha256: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column(Integer)
    # float32 little-endian bytes: compact, and identical on SQLite and PostgreSQL
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )


# --- identity and information barriers -------------------------------------------------
# A row with a team_id (deals, documents, watchlists) is private-side: only members of that
# deal team, and compliance, may see it. NULL team_id is public. Teams cannot be deleted
# while they still hold private rows (RESTRICT): deleting one must never make rows public.


class User(TimestampMixin, Base):
    """A known user and their role; anyone else signs in with the default role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="analyst")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DealTeam(TimestampMixin, Base):
    """A deal team working a private-side mandate behind an information barrier."""

    __tablename__ = "deal_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(120))


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("deal_teams.id", ondelete="CASCADE"), index=True)
    user: Mapped[str] = mapped_column(String(120), index=True)
    added_by: Mapped[str | None] = mapped_column(String(120))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RestrictedCompany(Base):
    """The restricted list: companies under a barrier, flagged wherever they appear."""

    __tablename__ = "restricted_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(120))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


# --- pitch preparation -----------------------------------------------------------------


class CompanyEmbedding(Base):
    """A company description's sentence vector for one model; re-embedded only when its text changes."""

    __tablename__ = "company_embeddings"
    __table_args__ = (UniqueConstraint("company_id", "model_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    model_name: Mapped[str] = mapped_column(String(200))
    text_sha256: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column(Integer)
    # float32 little-endian bytes, as for deals
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )


class PeerSet(Base):
    """A company's saved trading comparables: the peers, why each is there, who saved them."""

    __tablename__ = "peer_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    # [{"company_id", "key", "reason", "origin": "proposed" | "added"}, ...] in display order
    peers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    saved_by: Mapped[str] = mapped_column(String(120))
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


# Peer proposals read a sector's companies within a market-cap band: one index range scan.
Index("ix_companies_sector_market_cap", Company.sector, Company.market_cap_usd_m)
