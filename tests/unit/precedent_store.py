"""A handful of deals, written through the ORM, for the precedents tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from workbench.embeddings import HashingEmbedder
from workbench.models import Deal

DEALS = [
    dict(key="D1", name="Sponsor carve-out of European specialty chemicals unit", deal_type="ma",
         status="completed", announced_date=dt.date(2024, 3, 1), size_usd_m=1000.0, enterprise_value_usd_m=1100.0,
         ev_ebitda=9.5, ev_revenue=1.8, premium_pct=None, sector="Materials", region="Europe",
         description="A private equity sponsor bought the specialty chemicals business of a European group."),
    dict(key="D2", name="Coatings maker take-private", deal_type="ma", status="completed",
         announced_date=dt.date(2022, 6, 1), size_usd_m=2500.0, enterprise_value_usd_m=2600.0, ev_ebitda=11.0,
         ev_revenue=2.2, premium_pct=32.0, sector="Materials", region="North America",
         description="Take-private of a listed coatings and specialty chemicals maker by a sponsor."),
    dict(key="D3", name="EchoSign acquisition", deal_type="ma", status="completed",
         announced_date=dt.date(2011, 7, 18), size_usd_m=400.0, enterprise_value_usd_m=None, ev_ebitda=None,
         ev_revenue=8.0, premium_pct=None, sector="Information Technology", region="North America",
         description="Adobe acquired EchoSign, an electronic signature software company."),
    dict(key="D4", name="Utility green bond", deal_type="ig_bond", status="priced",
         announced_date=dt.date(2025, 1, 10), size_usd_m=750.0, sector="Utilities", region="Europe",
         description="Senior unsecured green bond of a European utility to fund wind farms."),
    dict(key="D5", name="Chemicals IPO", deal_type="ipo", status="priced", announced_date=dt.date(2023, 9, 1),
         size_usd_m=600.0, sector="Materials", region="Europe",
         description="Initial public offering of a specialty chemicals producer in Frankfurt."),
    dict(key="D6", name="Semiconductor merger", deal_type="ma", status="pending", announced_date=dt.date(2025, 5, 5),
         size_usd_m=12000.0, enterprise_value_usd_m=12500.0, ev_ebitda=18.0, ev_revenue=6.0, premium_pct=45.0,
         sector="Information Technology", region="Asia Pacific",
         description="Merger of two semiconductor equipment makers."),
]


def add_deals(factory: sessionmaker[Session], deals: list[dict] | None = None) -> None:
    with factory.begin() as s:
        for d in deals or DEALS:
            s.add(Deal(**d))


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, keeping every text it was asked to embed."""

    def __init__(self, dimension: int = 32) -> None:
        super().__init__(dimension)
        self.texts: list[str] = []

    def encode(self, texts, *, batch_size: int = 64):  # noqa: ANN001, ANN201
        self.texts += list(texts)
        return super().encode(texts, batch_size=batch_size)
