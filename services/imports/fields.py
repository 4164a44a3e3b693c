"""What each import kind can fill: the target fields, their types, units and header aliases.

Field names double as the registry that keeps user text out of SQL: a mapping may only name
fields listed here, and each field maps to one model column (or to a derived value, such as
deal parties or the ``exchange:ticker`` pair).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["companies", "deals", "prices", "documents"]
KINDS: tuple[Kind, ...] = ("companies", "deals", "prices", "documents")

FieldType = Literal[
    "text",  # free text, stripped; max_len enforced
    "code",  # short identifier (ticker, currency, rating): stripped, max_len enforced
    "int",
    "year",  # a four-digit year; the first year in cells like "2013 (1888)"
    "month",  # Jan..Dec, January..December or 1..12
    "float",  # plain number (ratios, multiples, prices)
    "money",  # amount, stored in millions; column scale or a B/M/K suffix converts
    "pct",  # percentage points: "12.5%" and 12.5 both mean 12.5
    "date",
    "list",  # several values in one cell, split on ; or | (or a preset's separator)
    "exchange_ticker",  # "NASDAQ:AAPL" -> exchange and ticker
]

PARTY_ROLES = ("issuer", "target", "acquirer", "seller", "bookrunner", "advisor")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    unit: str | None = None
    aliases: tuple[str, ...] = ()
    max_len: int | None = None
    help: str = ""
    # Lowest plausible value; money defaults to 0 (a negative deal size is a typo).
    min_value: float | None = None

    @property
    def label(self) -> str:
        text = self.name.replace("_", " ")
        if self.unit:
            text += f" ({self.unit})"
        return text + (" *" if self.required else "")


_UNSET = object()


def _f(name: str, type_: FieldType, *aliases: str, required: bool = False, unit: str | None = None,
       max_len: int | None = None, help: str = "", min_value: float | None | object = _UNSET) -> Field:  # fmt: skip
    if min_value is _UNSET:
        min_value = 0.0 if type_ == "money" else None
    return Field(name, type_, required, unit, tuple(aliases), max_len, help, min_value)  # type: ignore[arg-type]


COMPANY_FIELDS: tuple[Field, ...] = (
    _f("key", "code", "key", "company key", "company id", "capiq id", "ciq id", "entity id", "pbid",
       "pitchbook id", "identifier", max_len=120, help="Natural key; defaults to the ticker."),
    _f("name", "text", "company name", "name", "company", "security", "entity name", "issuer name",
       "companies", "company legal name", required=True, max_len=300),
    _f("ticker", "code", "ticker", "symbol", "ticker symbol", "primary ticker", max_len=32),
    _f("exchange_ticker", "exchange_ticker", "exchange ticker", "exchange:ticker", "exchange symbol",
       help="One cell like NASDAQ:AAPL, split into exchange and ticker."),
    _f("exchange", "code", "exchange", "primary exchange", "stock exchange", max_len=40),
    _f("cik", "code", "cik", "cik code", "sec cik", max_len=20),
    _f("isin", "code", "isin", max_len=12),
    _f("lei", "code", "lei", max_len=20),
    _f("sector", "text", "sector", "gics sector", "primary sector", "industry sector", max_len=80,
       help="GICS sector; when blank, derived from the sub-industry or industry."),
    _f("industry", "text", "industry", "gics industry", "primary industry", "industry group",
       "primary industry group", max_len=120),
    _f("sub_industry", "text", "sub industry", "gics sub industry", "industry sub group", max_len=160),
    _f("country", "text", "country", "hq country", "headquarters country", "country of incorporation",
       "company country", "hq country territory", max_len=80,
       help="A name or ISO code (USA, GBR), stored as one canonical name; when blank, derived from the "
       "headquarters location."),
    _f("region", "text", "region", "geographic region", "hq region", max_len=40,
       help="When blank, derived from the country."),
    _f("headquarters", "text", "headquarters", "headquarters location", "hq location", "hq",
       "hq location city", max_len=200),
    _f("listing_status", "code", "listing status", "company status", max_len=20),
    _f("ownership", "code", "ownership", "ownership status", "company ownership", max_len=30),
    _f("sponsor", "text", "sponsor", "financial sponsor", "pe sponsor", max_len=200),
    _f("currency", "code", "currency", "reporting currency", "trading currency", max_len=3),
    _f("founded_year", "year", "founded", "year founded", "founded year", "founding year"),
    _f("employees", "int", "employees", "number of employees", "total employees", "employee count", min_value=0),
    _f("market_cap_usd_m", "money", "market cap", "market capitalization", "market value",
       "market capitalisation", unit="USD m"),
    _f("revenue_usd_m", "money", "revenue", "total revenue", "revenues", "total revenues", "sales",
       "net sales", "revenue ltm", unit="USD m"),
    _f("ebitda_usd_m", "money", "ebitda", "ebitda ltm", unit="USD m", min_value=None),
    _f("net_income_usd_m", "money", "net income", "net income ltm", unit="USD m", min_value=None),
    _f("total_debt_usd_m", "money", "total debt", "debt", unit="USD m"),
    _f("cash_usd_m", "money", "cash", "cash and equivalents", "cash and short term investments",
       "total cash", unit="USD m"),
    _f("net_debt_usd_m", "money", "net debt", unit="USD m", min_value=None),
    _f("revenue_growth_pct", "pct", "revenue growth", "total revenues 1 yr growth", "revenue growth yoy",
       unit="%"),
    _f("ebitda_margin_pct", "pct", "ebitda margin", unit="%"),
    _f("pe_ratio", "float", "p e", "pe", "pe ratio", "p e ratio", "price earnings", "price earnings ratio"),
    _f("dividend_yield_pct", "pct", "dividend yield", unit="%"),
    _f("rating", "code", "rating", "credit rating", "s p rating", "s p issuer credit rating", max_len=8),
    _f("description", "text", "description", "business description", "company description",
       "long business description"),
    _f("financials_as_of", "date", "financials as of", "as of", "as of date", "fiscal period end",
       "period end date"),
    _f("source", "text", "source", "data source", max_len=200),
)

DEAL_FIELDS: tuple[Field, ...] = (
    _f("key", "code", "deal key", "deal id", "transaction id", "deal number", "dealogic deal id",
       "key", max_len=200, help="Natural key; defaults to a hash of the parties, date and type."),
    _f("name", "text", "deal name", "transaction name", "deal", "deal title", max_len=400,
       help="Defaults to 'Acquirer acquired Target' or 'Issuer deal type'."),
    _f("deal_type", "code", "deal type", "transaction type", "type", "deal sub type", "product",
       max_len=20, help="IPO, follow-on, convertible, IG/HY bond, term loan or M&A; "
       "M&A when blank and a target or acquirer is given."),
    _f("status", "code", "status", "deal status", "transaction status", max_len=20),
    _f("announced_date", "date", "announced date", "announcement date", "date announced", "announced",
       "deal date", "pricing date", "announced date pricing date"),
    _f("announced_year", "year", "announced year", "year", "acquisition year", "deal year",
       help="Fills the date (1 January or the first of the month) when there is no date; "
       "checked against the date when both are given."),
    _f("announced_month", "month", "announced month", "month", "acquisition month"),
    _f("closed_date", "date", "closed date", "completion date", "completed date", "close date",
       "effective date", "settlement date"),
    _f("size_usd_m", "money", "deal value", "deal size", "transaction value", "deal value usd",
       "size", "proceeds", "offer size", "deal value usd mm", "price", "acquisition price", unit="USD m",
       help="Stored in USD only when the currency is USD (or blank); otherwise in size_local_m."),
    _f("currency", "code", "currency", "deal currency", "currency code", max_len=3),
    _f("size_local_m", "money", "deal value local", "deal size local", unit="local m"),
    _f("sector", "text", "sector", "target sector", "issuer sector", "gics sector", max_len=80,
       help="The target's GICS sector; when blank, derived from the industry or the categories."),
    _f("industry", "text", "industry", "target industry", "issuer industry", "primary industry",
       max_len=160),
    _f("region", "text", "region", "target region", "issuer region", max_len=40,
       help="When blank, derived from the country."),
    _f("country", "text", "country", "target country", "issuer country", "target nation",
       "issuer nation", max_len=80, help="A name or ISO code (USA, GBR), stored as one canonical name."),
    _f("enterprise_value_usd_m", "money", "enterprise value", "implied enterprise value", "ev",
       unit="USD m"),
    _f("ev_revenue", "float", "ev revenue", "implied ev revenue", "ev sales", "ev ltm revenue"),
    _f("ev_ebitda", "float", "ev ebitda", "implied ev ebitda", "ev ltm ebitda"),
    _f("premium_pct", "pct", "premium", "offer premium", "1 day premium", "premium 1 day prior",
       unit="%"),
    _f("consideration", "code", "consideration", "form of consideration", "payment type", "terms",
       "consideration type", max_len=20),
    _f("coupon_pct", "pct", "coupon", "coupon rate", unit="%"),
    _f("tenor_years", "float", "tenor", "tenor years", "maturity years", unit="years", min_value=0),
    _f("rating", "code", "rating", "issue rating", "deal rating", max_len=8),
    _f("description", "text", "description", "deal description", "target description", "synopsis",
       "deal synopsis", "business description"),
    _f("categories", "list", "categories", "market categories", "category list", "verticals",
       "industry verticals"),
    _f("source", "text", "source", "data source", max_len=200),
    _f("issuer", "list", "issuer", "issuer name", "issuers", max_len=300),
    _f("target", "list", "target", "target name", "target company", "acquired company", max_len=300),
    _f("acquirer", "list", "acquirer", "acquirer name", "acquirers", "buyer", "buyers",
       "acquirer company", "bidder", max_len=300),
    _f("seller", "list", "seller", "sellers", "vendor", "target parent", max_len=300),
    _f("bookrunner", "list", "bookrunners", "bookrunner", "joint bookrunners", "lead managers",
       "underwriters", max_len=300),
    _f("advisor", "list", "advisors", "advisor", "financial advisors", "financial advisor", max_len=300),
)

PRICE_FIELDS: tuple[Field, ...] = (
    _f("company", "code", "company", "company key", "key", "ticker", "symbol", required=True,
       max_len=120, help="A company's key or ticker, already in the store."),
    _f("date", "date", "date", "trade date", "pricing date", "as of", required=True),
    _f("open", "float", "open", "open price", min_value=0),
    _f("high", "float", "high", "high price", min_value=0),
    _f("low", "float", "low", "low price", min_value=0),
    _f("close", "float", "close", "close price", "last", "last price", "px last", "adj close",
       "price", required=True, min_value=0),
    _f("volume", "int", "volume", "shares traded", min_value=0),
)

DOCUMENT_FIELDS: tuple[Field, ...] = (
    _f("key", "code", "key", "document id", "doc id", "id", max_len=200,
       help="Natural key; defaults to a hash of title, date and company."),
    _f("title", "text", "title", "headline", "document title", "name", required=True, max_len=400),
    _f("doc_type", "code", "doc type", "document type", "type", "form type", max_len=20,
       help="transcript, 10-K, 10-Q, 8-K, research, press_release or other (the default)."),
    _f("doc_date", "date", "date", "document date", "filing date", "published", "published date"),
    _f("company", "code", "company", "company key", "ticker", "symbol", max_len=120,
       help="A company's key or ticker, already in the store."),
    _f("source", "text", "source", "url", "link", max_len=400),
    _f("text", "text", "text", "body", "content", "document text", required=True),
)

FIELDS: dict[Kind, tuple[Field, ...]] = {
    "companies": COMPANY_FIELDS,
    "deals": DEAL_FIELDS,
    "prices": PRICE_FIELDS,
    "documents": DOCUMENT_FIELDS,
}


def fields_for(kind: str) -> tuple[Field, ...]:
    from workbench.errors import WorkbenchError

    if kind not in FIELDS:
        raise WorkbenchError(f"unknown import kind {kind!r}: choose one of {', '.join(KINDS)}")
    return FIELDS[kind]  # type: ignore[index]


def field_by_name(kind: str) -> dict[str, Field]:
    return {f.name: f for f in fields_for(kind)}
