"""The deterministic demo universe: fictional companies, debt, prices, deals and documents.

``seed_demo(session_factory, DemoSize(seed=7))`` fills an empty store. The same seed and size
always give the same rows, so screens, precedents and alerts can be demonstrated and tested
against known data. Rows are generated with numpy in chunks and written with Core
``insert()`` executemany, so a million companies fit in memory and in minutes.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.config import get_settings
from workbench.demo.companies import COMPANY_CHUNK, CompanyGenerator, Universe
from workbench.demo.deals import deal_chunks, plan_deals
from workbench.demo.documents import DebtLine, document_rows, pick_document_companies
from workbench.demo.prices import business_days, price_chunks
from workbench.domain import ListingStatus, Ownership
from workbench.errors import WorkbenchError
from workbench.models import (
    AlertEvent,
    Company,
    DebtInstrument,
    Deal,
    DealEmbedding,
    DealParty,
    Document,
    Price,
    WatchlistItem,
)
from workbench.progress import ProgressCallback, no_progress

__all__ = ["DemoSize", "DemoSummary", "seed_demo"]

INSERT_CHUNK = 20_000
MAX_COMPANIES = 5_000_000
# Daily prices are most of the rows: 3,000 companies x 3 years is about 1M of them, but
# 1,000,000 companies x 3 years would be about 300M (tens of GB). Above this many, the size
# is refused before anything is written; benchmarks at that scale use price_years=0.
MAX_PRICE_ROWS = 40_000_000
_MOST_LISTED = 0.9  # the largest share of a universe that can be listed
_DAYS_PER_YEAR = 261


@dataclass(frozen=True)
class DemoSize:
    companies: int = 3000
    deals: int = 5000
    documents: int = 40
    price_years: int = 3
    seed: int = 7
    # A fixed as-of date, not today's, so that the data are the same on every run.
    as_of: dt.date = dt.date(2026, 11, 20)

    def validate(self) -> None:
        if self.companies < 1:
            raise WorkbenchError(f"Demo size: companies must be at least 1, got {self.companies}.")
        for name in ("deals", "documents", "price_years"):
            value = getattr(self, name)
            if value < 0:
                raise WorkbenchError(f"Demo size: {name} must be zero or more, got {value}.")
        if self.companies > MAX_COMPANIES:
            raise WorkbenchError(f"Demo size: at most {MAX_COMPANIES:,} companies, got {self.companies:,}.")
        if self.deals and self.companies < 20:
            raise WorkbenchError("Demo size: deals need at least 20 companies to draw issuers and targets from.")
        if self.price_years > 30:
            raise WorkbenchError(f"Demo size: price_years must be at most 30, got {self.price_years}.")
        if self.max_price_rows > MAX_PRICE_ROWS:
            raise WorkbenchError(
                f"Demo size: {self.companies:,} companies with {self.price_years} year(s) of daily prices could "
                f"write up to {self.max_price_rows:,} price rows, over the limit of {MAX_PRICE_ROWS:,}. Use fewer "
                f"price years (--price-years 0 writes none) or fewer companies.")

    @property
    def max_price_rows(self) -> int:
        """The most price rows this size can write (every listable company, every business day)."""
        return int(self.companies * _MOST_LISTED * _DAYS_PER_YEAR * self.price_years)


@dataclass(frozen=True)
class DemoSummary:
    companies: int
    debt_instruments: int
    prices: int
    deals: int
    deal_parties: int
    documents: int
    elapsed_s: float
    seed: int
    as_of: dt.date

    @property
    def total_rows(self) -> int:
        return (self.companies + self.debt_instruments + self.prices + self.deals
                + self.deal_parties + self.documents)


DATA_TABLES: tuple[type, ...] = (Company, DebtInstrument, Price, Deal, DealParty, Document)
# Child tables first, so that deletes never wait on a cascade.
DELETE_ORDER: tuple[type, ...] = (AlertEvent, WatchlistItem, Price, DebtInstrument, DealParty,
                                  DealEmbedding, Deal,
                                  Document, Company)


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _insert(conn: Connection, model: type, rows: list[dict[str, Any]]) -> int:
    table = _table(model)
    for lo in range(0, len(rows), INSERT_CHUNK):
        conn.execute(insert(table), rows[lo:lo + INSERT_CHUNK])
    return len(rows)


def _existing_rows(conn: Connection) -> dict[str, int]:
    return {_table(m).name: int(conn.scalar(select(func.count()).select_from(_table(m))) or 0)
            for m in DATA_TABLES}


class _Progress:
    """Maps each phase's own 0..1 onto its share of the whole run."""

    def __init__(self, callback: ProgressCallback, weights: dict[str, float]) -> None:
        total = sum(weights.values()) or 1.0
        self.callback = callback
        self.spans: dict[str, tuple[float, float]] = {}
        start = 0.0
        for name, weight in weights.items():
            self.spans[name] = (start, weight / total)
            start += weight / total

    def __call__(self, phase: str, done: float, message: str) -> None:
        start, span = self.spans[phase]
        self.callback(min(1.0, start + span * min(max(done, 0.0), 1.0)), message)


def seed_demo(
    session_factory: sessionmaker[Session],
    size: DemoSize | None = None,
    *,
    progress: ProgressCallback = no_progress,
    replace: bool = False,
    user: str | None = None,
) -> DemoSummary:
    """Fill the store with the demo universe, in one transaction.

    Raises WorkbenchError when the store already holds companies, deals or documents, unless
    ``replace`` is set: then those rows (and the watchlist items and alert events that point
    at them) are deleted first. Watchlists, alert rules and saved screens are kept.
    """
    size = size or DemoSize()
    size.validate()
    started = time.perf_counter()
    n_days = len(business_days(size.as_of, size.price_years))
    report = _Progress(progress, {
        "companies": size.companies * 4.0,
        "prices": size.companies * 0.2 * n_days * 0.5,
        "deals": size.deals * 4.0,
        "documents": size.documents * 40.0,
        "finish": max(size.companies * 0.05, 10.0),
    })
    timestamp = dt.datetime.combine(size.as_of, dt.time(), tzinfo=dt.UTC)

    with session_factory.begin() as session:
        conn = session.connection()
        existing = _existing_rows(conn)
        if any(existing.values()):
            if not replace:
                held = ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in existing.items() if n)
                raise WorkbenchError(
                    f"The store is not empty (it holds {held}). The demo universe is only seeded "
                    "into an empty store; pass --replace (replace=True) to delete these rows first."
                )
            report("companies", 0.0, "Deleting existing data...")
            for model in DELETE_ORDER:
                conn.execute(delete(_table(model)))

        # Companies and their debt, chunk by chunk.
        generator = CompanyGenerator(seed=size.seed, as_of=size.as_of, timestamp=timestamp)
        universe = Universe()
        n_companies = n_debt = 0
        for chunk, lo in enumerate(range(0, size.companies, COMPANY_CHUNK)):
            n = min(COMPANY_CHUNK, size.companies - lo)
            rows, debt_rows = generator.generate(chunk, lo + 1, n, universe)
            n_companies += _insert(conn, Company, rows)
            n_debt += _insert(conn, DebtInstrument, debt_rows)
            del rows, debt_rows
            report("companies", n_companies / size.companies,
                   f"Companies: {n_companies:,} of {size.companies:,}")
        frozen = universe.freeze()
        del universe

        plan = plan_deals(frozen, seed=size.seed, as_of=size.as_of, count=size.deals)

        n_prices = 0
        n_listed = int(frozen.listed.sum())
        for rows, done in price_chunks(frozen, seed=size.seed, as_of=size.as_of, years=size.price_years,
                                       first_trade=plan.first_trade, last_trade=plan.last_trade):
            n_prices += _insert(conn, Price, rows)
            report("prices", done / max(n_listed, 1), f"Prices: {done:,} of {n_listed:,} listed companies")

        n_deals = n_parties = 0
        new_debt: list[dict[str, Any]] = []
        delisted: list[tuple[int, str, bool, dt.date]] = []
        for deals, parties, done, outcome in deal_chunks(frozen, plan, seed=size.seed, as_of=size.as_of):
            n_deals += _insert(conn, Deal, deals)
            n_parties += _insert(conn, DealParty, parties)
            new_debt += outcome.debt
            delisted += outcome.delisted
            report("deals", done / max(size.deals, 1), f"Deals: {done:,} of {size.deals:,}")
        n_debt += _add_deal_debt(conn, new_debt)
        _delist(conn, delisted)

        chosen = pick_document_companies(frozen, size.documents, size.seed, exclude=plan.acquired)
        debt = _debt_lines(conn, sorted({int(frozen.ids[c]) for c in chosen}))
        docs = document_rows(frozen, chosen, debt, seed=size.seed, as_of=size.as_of, timestamp=timestamp)
        n_docs = _insert(conn, Document, docs)
        report("documents", 1.0, f"Documents: {n_docs:,}")

        if conn.dialect.name == "postgresql":
            # Ids were given explicitly, so the sequences must be moved past them.
            for model in (Company, Deal, Document, DebtInstrument, DealParty):
                name = _table(model).name
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                ))
        summary = DemoSummary(
            companies=n_companies, debt_instruments=n_debt, prices=n_prices, deals=n_deals,
            deal_parties=n_parties, documents=n_docs,
            elapsed_s=round(time.perf_counter() - started, 2), seed=size.seed, as_of=size.as_of,
        )
        details = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(size).items()}
        details.update(replaced=bool(any(existing.values())), rows={
            "companies": n_companies, "debt_instruments": n_debt, "prices": n_prices,
            "deals": n_deals, "deal_parties": n_parties, "documents": n_docs})
        audit.record(session, user=user or get_settings().user, action="demo_seed",
                     object_type="demo", object_ref=f"seed={size.seed}", row_count=summary.total_rows,
                     details=details)
        report("finish", 0.5, "Committing...")
    report("finish", 1.0, "Demo universe ready")
    return DemoSummary(**{**asdict(summary), "elapsed_s": round(time.perf_counter() - started, 2)})


def _add_deal_debt(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Put the bonds and loans the deals issued, and that are still outstanding, into their
    issuers' maturity ladders. Total debt stays what the company reports: the generated
    instruments shrink to make room, and a deal that would take more than 80% of it is left
    out (the issuer has refinanced it since)."""
    if not rows:
        return 0
    table = _table(DebtInstrument)
    companies = _table(Company)
    by_company: dict[int, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["company_id"], r["issue_date"])):
        by_company.setdefault(int(row["company_id"]), []).append(row)
    keep: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    ids = sorted(by_company)
    for lo in range(0, len(ids), 500):
        batch = ids[lo:lo + 500]
        totals = dict(conn.execute(select(companies.c.id, companies.c.total_debt_usd_m)
                                   .where(companies.c.id.in_(batch))).all())
        existing: dict[int, list[tuple[int, float]]] = {}
        for iid, cid, amount in conn.execute(select(table.c.id, table.c.company_id, table.c.amount_usd_m)
                                             .where(table.c.company_id.in_(batch)).order_by(table.c.id)):
            existing.setdefault(int(cid), []).append((int(iid), float(amount)))
        for cid in batch:
            total = float(totals.get(cid) or 0.0)
            own = existing.get(cid, [])
            added = 0.0
            for row in by_company[cid]:
                if own and added + row["amount_usd_m"] <= 0.8 * total:
                    added += row["amount_usd_m"]
                    keep.append(row)
            if not added:
                continue
            # the rest of the debt over the generated instruments, in proportion, to 0.1m
            rest = round(total - added, 1)
            before = sum(a for _, a in own) or 1.0
            scaled = [max(round(a * rest / before, 1), 0.1) for _, a in own]
            scaled[-1] = round(rest - sum(scaled[:-1]), 1)
            updates += [{"iid": iid, "amount": amount} for (iid, _), amount in zip(own, scaled, strict=True)]
    if updates:
        conn.execute(update(table).where(table.c.id == bindparam("iid")).values(amount_usd_m=bindparam("amount")),
                     updates)
    return _insert(conn, DebtInstrument, keep)


def _delist(conn: Connection, taken: list[tuple[int, str, bool, dt.date]]) -> None:
    """A listed company taken over is delisted at completion and owned by its buyer."""
    if not taken:
        return
    companies = _table(Company)
    conn.execute(
        update(companies).where(companies.c.id == bindparam("cid")).values(
            listing_status=ListingStatus.DELISTED.value, ownership=bindparam("owner"), sponsor=bindparam("backer"),
            market_cap_usd_m=None, pe_ratio=None, dividend_yield_pct=None,
            description=companies.c.description + bindparam("note")),
        [{"cid": cid, "owner": (Ownership.SPONSOR_BACKED if sponsor else Ownership.SUBSIDIARY).value,
          "backer": buyer if sponsor else None,
          "note": f" It was acquired by {buyer} on {closed:%d %B %Y} and delisted."}
         for cid, buyer, sponsor, closed in taken],
    )


def _debt_lines(conn: Connection, company_ids: list[int]) -> dict[int, list[DebtLine]]:
    out: dict[int, list[DebtLine]] = {}
    table = _table(DebtInstrument)
    for lo in range(0, len(company_ids), 500):
        batch = company_ids[lo:lo + 500]
        rows = conn.execute(
            select(table.c.company_id, table.c.instrument, table.c.amount_usd_m,
                   table.c.maturity_date, table.c.coupon_pct)
            .where(table.c.company_id.in_(batch))
            .order_by(table.c.company_id, table.c.maturity_date, table.c.id)
        )
        for cid, instrument, amount, maturity, coupon in rows:
            out.setdefault(int(cid), []).append(DebtLine(instrument, float(amount), maturity, coupon))
    return out
