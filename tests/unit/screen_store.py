"""Small crafted stores for the screening tests: every figure chosen by the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from workbench.models import Company, DebtInstrument, Deal, DealParty, Price

AS_OF = dt.date(2026, 11, 20)


def add_company(session: Session, key: str, **fields: Any) -> int:
    defaults: dict[str, Any] = {"name": f"{key} Holdings", "listing_status": "listed", "ownership": "public"}
    company = Company(key=key, **{**defaults, **fields})
    session.add(company)
    session.flush()
    return company.id


def add_debt(session: Session, company_id: int, amount: float, maturity: dt.date, coupon: float | None = None,
             issued: dt.date | None = dt.date(2020, 1, 1)) -> None:  # fmt: skip
    session.add(DebtInstrument(company_id=company_id, instrument="Senior notes", amount_usd_m=amount,
                               coupon_pct=coupon, issue_date=issued, maturity_date=maturity))  # fmt: skip


_deal_no = [0]


def add_deal(session: Session, company_id: int | None, deal_type: str, announced: dt.date, role: str = "issuer",
             coupon: float | None = None, rating: str | None = None, status: str = "completed") -> None:  # fmt: skip
    _deal_no[0] += 1
    deal = Deal(key=f"deal-{_deal_no[0]}", name=f"Deal {_deal_no[0]}", deal_type=deal_type, status=status,
                announced_date=announced, coupon_pct=coupon, rating=rating)  # fmt: skip
    session.add(deal)
    session.flush()
    if company_id is not None:
        session.add(DealParty(deal_id=deal.id, role=role, name=f"party {company_id}", company_id=company_id))


def add_prices(session: Session, company_id: int, closes: dict[int, float], as_of: dt.date = AS_OF) -> None:
    """closes: {days before as_of: close}."""
    for days_before, close in closes.items():
        session.add(Price(company_id=company_id, date=as_of - dt.timedelta(days=days_before), close=close))


def seeded(factory: sessionmaker[Session], build: Any) -> dict[str, int]:
    with factory.begin() as session:
        return build(session)
