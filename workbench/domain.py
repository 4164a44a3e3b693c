"""Vocabulary shared by the store, the services and the pages."""

from __future__ import annotations

from enum import StrEnum


class DealType(StrEnum):
    IPO = "ipo"
    FOLLOW_ON = "follow_on"
    CONVERTIBLE = "convertible"
    IG_BOND = "ig_bond"
    HY_BOND = "hy_bond"
    TERM_LOAN = "term_loan"
    MA = "ma"

    @property
    def label(self) -> str:
        return DEAL_TYPE_LABELS[self]

    @property
    def is_equity(self) -> bool:
        return self in (DealType.IPO, DealType.FOLLOW_ON, DealType.CONVERTIBLE)

    @property
    def is_debt(self) -> bool:
        return self in (DealType.IG_BOND, DealType.HY_BOND, DealType.TERM_LOAN)


DEAL_TYPE_LABELS = {
    DealType.IPO: "IPO",
    DealType.FOLLOW_ON: "Follow-on",
    DealType.CONVERTIBLE: "Convertible",
    DealType.IG_BOND: "IG bond",
    DealType.HY_BOND: "HY bond",
    DealType.TERM_LOAN: "Term loan",
    DealType.MA: "M&A",
}


class DealStatus(StrEnum):
    RUMOURED = "rumoured"
    ANNOUNCED = "announced"
    PENDING = "pending"
    PRICED = "priced"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class PartyRole(StrEnum):
    ISSUER = "issuer"
    TARGET = "target"
    ACQUIRER = "acquirer"
    SELLER = "seller"
    BOOKRUNNER = "bookrunner"
    ADVISOR = "advisor"


class ListingStatus(StrEnum):
    LISTED = "listed"
    PRIVATE = "private"
    DELISTED = "delisted"


class Ownership(StrEnum):
    PUBLIC = "public"
    SPONSOR_BACKED = "sponsor_backed"
    FOUNDER = "founder"
    FAMILY = "family"
    STATE = "state"
    SUBSIDIARY = "subsidiary"


class DocumentType(StrEnum):
    TRANSCRIPT = "transcript"
    FILING_10K = "10-K"
    FILING_10Q = "10-Q"
    FILING_8K = "8-K"
    RESEARCH = "research"
    PRESS_RELEASE = "press_release"
    OTHER = "other"


# GICS sectors, the classification the demo universe and S&P data use.
GICS_SECTORS = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)

REGIONS = ("North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa")

# Rating scale, best first, used to order and compare ratings numerically.
RATING_SCALE = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-",
    "BB+", "BB", "BB-", "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D",
)  # fmt: skip
INVESTMENT_GRADE = frozenset(RATING_SCALE[:10])


def rating_notch(rating: str | None) -> int | None:
    """0 for AAA, 1 for AA+, ...; None when unrated or unknown."""
    if not rating:
        return None
    try:
        return RATING_SCALE.index(rating.strip().upper())
    except ValueError:
        return None
