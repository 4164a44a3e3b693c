"""Companies and their debt maturity ladders, generated chunk by chunk with numpy.

Each chunk draws from its own random stream (seed, phase, chunk number), so the universe is
the same for a given seed whatever else runs, and a million companies never sit in memory as
rows at once: only the compact numeric columns the later phases need are kept.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.demo.vocabulary import (
    BLOCKED_BRANDS,
    BRAND_HEADS,
    BRAND_TAILS,
    COUNTRIES,
    NAME_QUALIFIERS,
    SECTORS,
    SPONSORS,
)
from workbench.demo.wording import fix_articles, money
from workbench.domain import RATING_SCALE, ListingStatus, Ownership

PHASE_COMPANIES = 1
COMPANY_CHUNK = 20_000

OWNERSHIPS = (Ownership.PUBLIC, Ownership.SPONSOR_BACKED, Ownership.FOUNDER, Ownership.FAMILY,
              Ownership.STATE, Ownership.SUBSIDIARY)
OWN_PUBLIC, OWN_SPONSOR, OWN_FOUNDER, OWN_FAMILY, OWN_STATE, OWN_SUBSIDIARY = range(6)
LISTED_OWNERSHIP_P = (0.84, 0.03, 0.05, 0.05, 0.03, 0.0)
PRIVATE_OWNERSHIP_P = (0.0, 0.42, 0.28, 0.20, 0.05, 0.05)
LEVERAGE_ADJ = np.array([0.0, 2.8, -0.6, -0.3, 0.2, 0.0])

IG_INSTRUMENTS = (
    # name, seniority, secured, tenor years, weight
    ("Senior notes", "senior unsecured", False, 10.0, 0.35),
    ("Senior unsecured notes", "senior unsecured", False, 7.0, 0.2),
    ("Revolving credit facility", "senior unsecured", False, 5.0, 0.2),
    ("Term loan A", "senior unsecured", False, 5.0, 0.15),
    ("Commercial paper", "senior unsecured", False, 0.5, 0.1),
)
HY_INSTRUMENTS = (
    ("Term loan B", "senior secured", True, 7.0, 0.35),
    ("Senior secured notes", "senior secured", True, 7.0, 0.2),
    ("Senior notes", "senior unsecured", False, 8.0, 0.2),
    ("Revolving credit facility", "senior secured", True, 5.0, 0.15),
    ("Second lien term loan", "second lien", True, 8.0, 0.1),
)
CONVERTIBLE = ("Convertible notes", "senior unsecured", False, 5.0, 0.0)
INSTRUMENTS = IG_INSTRUMENTS + HY_INSTRUMENTS + (CONVERTIBLE,)
LAST_MATURITY = dt.date(2036, 12, 31)

# Benchmark government yield by year of issue, %: what coupons priced off at the time.
BASE_RATE_BY_YEAR = {2016: 2.0, 2017: 2.3, 2018: 2.8, 2019: 2.1, 2020: 0.9, 2021: 1.2,
                     2022: 3.1, 2023: 4.4, 2024: 4.2, 2025: 4.1, 2026: 3.9}


def base_rate(years: np.ndarray) -> np.ndarray:
    lo, hi = min(BASE_RATE_BY_YEAR), max(BASE_RATE_BY_YEAR)
    table = np.array([BASE_RATE_BY_YEAR[y] for y in range(lo, hi + 1)])
    return table[np.clip(years, lo, hi) - lo]


def credit_spread(notch: np.ndarray) -> np.ndarray:
    """Spread over the base rate, % : ~0.6 at AA-, ~1.7 at BBB, ~4.3 at B, ~6 at CCC."""
    return 0.4 + 0.02 * notch.astype(float) ** 2


@dataclass
class Universe:
    """Compact columns of every generated company, for the deal, price and document phases."""

    ids: list[np.ndarray] = field(default_factory=list)
    sector: list[np.ndarray] = field(default_factory=list)
    sub_industry: list[np.ndarray] = field(default_factory=list)
    country: list[np.ndarray] = field(default_factory=list)
    listed: list[np.ndarray] = field(default_factory=list)
    ownership: list[np.ndarray] = field(default_factory=list)
    sponsor: list[np.ndarray] = field(default_factory=list)
    revenue: list[np.ndarray] = field(default_factory=list)
    ebitda: list[np.ndarray] = field(default_factory=list)
    net_income: list[np.ndarray] = field(default_factory=list)
    total_debt: list[np.ndarray] = field(default_factory=list)
    cash: list[np.ndarray] = field(default_factory=list)
    net_debt: list[np.ndarray] = field(default_factory=list)
    market_cap: list[np.ndarray] = field(default_factory=list)
    growth: list[np.ndarray] = field(default_factory=list)
    margin: list[np.ndarray] = field(default_factory=list)
    notch: list[np.ndarray] = field(default_factory=list)
    rated: list[np.ndarray] = field(default_factory=list)
    founded: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    tickers: list[str | None] = field(default_factory=list)

    def add(self, **arrays: np.ndarray) -> None:
        for key, value in arrays.items():
            getattr(self, key).append(value)

    def freeze(self) -> FrozenUniverse:
        def cat(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0)

        return FrozenUniverse(
            **{name: cat(getattr(self, name)) for name in FrozenUniverse.ARRAY_FIELDS},
            names=self.names,
            tickers=self.tickers,
        )


@dataclass
class FrozenUniverse:
    ARRAY_FIELDS = ("ids", "sector", "sub_industry", "country", "listed", "ownership", "sponsor",
                    "revenue", "ebitda", "net_income", "total_debt", "cash", "net_debt",
                    "market_cap", "growth", "margin", "notch", "rated", "founded")
    ids: np.ndarray
    sector: np.ndarray
    sub_industry: np.ndarray
    country: np.ndarray
    listed: np.ndarray
    ownership: np.ndarray
    sponsor: np.ndarray
    revenue: np.ndarray
    ebitda: np.ndarray
    net_income: np.ndarray
    total_debt: np.ndarray
    cash: np.ndarray
    net_debt: np.ndarray
    market_cap: np.ndarray
    growth: np.ndarray
    margin: np.ndarray
    notch: np.ndarray
    rated: np.ndarray
    founded: np.ndarray
    names: list[str]
    tickers: list[str | None]

    def __len__(self) -> int:
        return len(self.ids)


def _nullable(values: np.ndarray, null: np.ndarray) -> list[Any]:
    out = values.tolist()
    for i in np.flatnonzero(null).tolist():
        out[i] = None
    return out


def _coprime_step(space: int, start: int) -> int:
    step = start
    while math.gcd(step, space) != 1:
        step += 1
    return step


class CompanyGenerator:
    """Makes companies in order; state (name counters, used tickers) carries across chunks."""

    def __init__(self, *, seed: int, as_of: dt.date, timestamp: dt.datetime) -> None:
        self.seed = seed
        self.as_of = as_of
        self.timestamp = timestamp
        self.brands = [h + t for h in BRAND_HEADS for t in BRAND_TAILS if h + t not in BLOCKED_BRANDS]
        self.name_counts = np.zeros(len(SECTORS), dtype=np.int64)
        self.used_tickers: set[str] = set()
        self.ticker_serial = 0
        self.sector_p = np.array([s.weight for s in SECTORS]) / sum(s.weight for s in SECTORS)
        self.country_p = np.array([c.weight for c in COUNTRIES]) / sum(c.weight for c in COUNTRIES)
        rng = np.random.default_rng([seed, PHASE_COMPANIES, 999_999])
        self.name_offsets = rng.integers(0, 1_000_000, size=len(SECTORS))

    # -- names -------------------------------------------------------------------------
    def _name(self, sector: int, rank: int) -> tuple[str, str, str]:
        descriptors = SECTORS[sector].descriptors
        space = len(self.brands) * len(descriptors)
        step = _coprime_step(space, 7919)
        position = (rank * step + int(self.name_offsets[sector])) % space
        brand = self.brands[position // len(descriptors)]
        descriptor = descriptors[position % len(descriptors)]
        lap = rank // space
        if lap:
            qualifier = NAME_QUALIFIERS[(lap - 1) % len(NAME_QUALIFIERS)]
            if lap > len(NAME_QUALIFIERS):
                qualifier += f" {lap // len(NAME_QUALIFIERS) + 1}"
            brand = f"{qualifier} {brand}"
        return brand, descriptor, f"{brand} {descriptor}"

    def _ticker(self, brand: str, descriptor: str, exchange: str) -> str:
        self.ticker_serial += 1
        if exchange in ("TSE", "HKEX", "KRX"):
            # These exchanges quote numeric codes; a strictly increasing serial keeps them unique.
            width = 6 if exchange == "KRX" else 4
            code = f"{1301 + self.ticker_serial * 7:0{width}d}"
            self.used_tickers.add(code)
            return code
        letters = "".join(ch for ch in brand.upper() if ch.isalpha())
        d = "".join(ch for ch in descriptor.upper() if ch.isalpha())
        candidates = [letters[:4], letters[:3] + d[:1], letters[:2] + d[:2], letters[:3],
                      letters[:1] + d[:3], letters[:4] + d[:1], letters[:3] + d[:2]]
        for candidate in candidates:
            if len(candidate) >= 3 and candidate not in self.used_tickers:
                self.used_tickers.add(candidate)
                return candidate
        # Short codes run out in a large universe: append the serial in base 26, which is
        # unique per prefix, so this loop ends at once unless a short code took the value.
        serial = self.ticker_serial
        while True:
            suffix, k = "", serial
            while k or len(suffix) < 3:
                suffix = chr(65 + k % 26) + suffix
                k //= 26
            candidate = letters[:2] + suffix
            if candidate not in self.used_tickers:
                self.used_tickers.add(candidate)
                return candidate
            serial += 1_000_003

    # -- one chunk ---------------------------------------------------------------------
    def generate(self, chunk: int, start_id: int, n: int, universe: Universe
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows of companies start_id..start_id+n-1 and of their debt instruments."""
        rng = np.random.default_rng([self.seed, PHASE_COMPANIES, chunk])
        ids = np.arange(start_id, start_id + n, dtype=np.int64)
        sector = rng.choice(len(SECTORS), size=n, p=self.sector_p)
        country = rng.choice(len(COUNTRIES), size=n, p=self.country_p)
        n_inds = np.array([len(s.industries) for s in SECTORS])
        sub_industry = (rng.random(n) * n_inds[sector]).astype(np.int64)

        revenue = np.clip(np.exp(rng.normal(math.log(400.0), 1.5, n)), 3.0, 450_000.0)
        log_rev = np.log10(revenue)
        p_listed = np.clip(0.2 + 0.12 * (log_rev - 2.0), 0.05, 0.9)
        listed = rng.random(n) < p_listed
        # Very large businesses are almost always listed; keep private ones below ~$25bn.
        revenue = np.where(listed, revenue, np.minimum(revenue, 25_000.0 * rng.uniform(0.4, 1.0, n)))
        log_rev = np.log10(revenue)
        own_draw = rng.random(n)
        ownership = np.where(
            listed,
            np.searchsorted(np.cumsum(LISTED_OWNERSHIP_P), own_draw * 0.999999),
            np.searchsorted(np.cumsum(PRIVATE_OWNERSHIP_P), own_draw * 0.999999),
        )
        sponsor = np.where(ownership == OWN_SPONSOR, rng.integers(0, len(SPONSORS), n), -1)

        prof = SECTORS
        margin_mean = np.array([s.margin_mean for s in prof])[sector]
        margin_sd = np.array([s.margin_sd for s in prof])[sector]
        growth_mean = np.array([s.growth_mean for s in prof])[sector]
        margin = np.round(np.clip(rng.normal(margin_mean, margin_sd), -25.0, 75.0), 1)
        growth = np.round(np.clip(rng.normal(growth_mean, 7.0, n) - 0.8 * (log_rev - 2.6), -30.0, 80.0), 1)
        revenue = np.round(revenue, 1)
        ebitda = np.round(revenue * margin / 100.0, 1)

        cash = np.round(revenue * np.clip(np.exp(rng.normal(math.log(0.09), 0.6, n)), 0.01, 0.6), 1)
        lev_mean = np.array([s.leverage_mean for s in prof])[sector] + LEVERAGE_ADJ[ownership]
        leverage = np.clip(rng.normal(lev_mean, 1.0), 0.0, 9.0)
        debt_free_p = np.where((ownership == OWN_FOUNDER) | (sector == 7), 0.25, 0.10)
        debt_free = (rng.random(n) < debt_free_p) & (ownership != OWN_SPONSOR)
        loss_debt = revenue * rng.uniform(0.05, 0.5, n)
        total_debt = np.where(ebitda > 0, leverage * ebitda + cash, loss_debt)
        total_debt = np.round(np.where(debt_free, 0.0, np.maximum(total_debt, 0.0)), 1)
        net_debt = np.round(total_debt - cash, 1)

        safe_ebitda = np.where(ebitda > 0, ebitda, 1.0)
        net_leverage = np.where(ebitda > 0, np.clip(net_debt / safe_ebitda, -1.0, 10.0), 6.0)
        notch_f = 4.5 + 1.4 * net_leverage - 1.5 * (log_rev - 3.0) + rng.normal(0.0, 1.0, n)
        notch = np.clip(np.rint(notch_f), 1, 18).astype(np.int64)
        rated = (total_debt > 0) & (listed | (ownership == OWN_SPONSOR) | (revenue > 1000.0))

        da = revenue * np.array([s.da_pct for s in prof])[sector] / 100.0 * rng.uniform(0.6, 1.4, n)
        interest = total_debt * (0.03 + 0.004 * notch)
        pretax = ebitda - da - interest
        net_income = np.round(np.where(pretax > 0, pretax * 0.76, pretax), 1)

        multiple = (np.array([s.ev_ebitda for s in prof])[sector] * np.exp(rng.normal(0.0, 0.22, n))
                    * np.clip(1.0 + 0.02 * (growth - growth_mean), 0.6, 1.8))
        ev_rev = np.array([s.ev_revenue for s in prof])[sector] * np.exp(rng.normal(0.0, 0.3, n))
        ev = np.where(margin > 3.0, ebitda * multiple, revenue * ev_rev * 0.5)
        market_cap = np.round(np.maximum(ev - net_debt, 0.15 * np.abs(ev) + 1.0), 1)
        market_cap_null = ~listed
        pe = np.round(market_cap / np.where(net_income > 0, net_income, 1.0), 1)
        pe_null = ~listed | (net_income <= 0)
        payer = listed & (net_income > 0) & (rng.random(n) < np.array([s.payout_share for s in prof])[sector])
        dividend = np.round(np.clip(rng.uniform(0.25, 0.75, n) * net_income / np.maximum(market_cap, 1.0) * 100, 0, 12), 2)
        dividend = np.where(payer, dividend, 0.0)

        rpe = np.array([s.revenue_per_employee for s in prof])[sector] * np.exp(rng.normal(0, 0.4, n))
        employees = np.maximum(8, (revenue / rpe).astype(np.int64))
        young = np.isin(sector, (5, 7)) | (ownership == OWN_SPONSOR)
        age = np.clip(np.exp(rng.normal(math.log(38.0), 0.7, n)) * np.where(young, 0.6, 1.0), 2, 170)
        founded = (self.as_of.year - age).astype(np.int64)

        city_pick = rng.random(n)
        form_pick = rng.random(n)

        names: list[str] = []
        tickers: list[str | None] = []
        exchanges: list[str | None] = []
        hqs: list[str] = []
        descriptions: list[str] = []
        sector_l = sector.tolist()
        country_l = country.tolist()
        sub_l = sub_industry.tolist()
        listed_l = listed.tolist()
        own_l = ownership.tolist()
        sponsor_l = sponsor.tolist()
        for i in range(n):
            s, c = sector_l[i], country_l[i]
            rank = int(self.name_counts[s])
            self.name_counts[s] += 1
            brand, descriptor, base = self._name(s, rank)
            cp = COUNTRIES[c]
            forms = cp.listed_forms if listed_l[i] else cp.private_forms
            name = f"{base} {forms[int(form_pick[i] * len(forms))]}"
            names.append(name)
            hq = cp.cities[int(city_pick[i] * len(cp.cities))]
            hqs.append(f"{hq}, {cp.name}")
            if listed_l[i]:
                exchange = "Nasdaq" if cp.exchange == "NYSE" and s in (5, 7) else cp.exchange
                exchanges.append(exchange)
                tickers.append(self._ticker(brand, descriptor, cp.exchange))
            else:
                exchanges.append(None)
                tickers.append(None)
        for i in range(n):
            descriptions.append(fix_articles(_describe_company(
                names[i], SECTORS[sector_l[i]], sub_l[i], COUNTRIES[country_l[i]], hqs[i],
                int(founded[i]), float(revenue[i]), float(growth[i]), float(margin[i]),
                int(employees[i]), exchanges[i], own_l[i],
                SPONSORS[sponsor_l[i]] if sponsor_l[i] >= 0 else None, i,
            )))

        columns: dict[str, list[Any]] = {
            "id": ids.tolist(),
            "key": [f"DEMO-{i:07d}" for i in ids.tolist()],
            "name": names,
            "ticker": tickers,
            "exchange": exchanges,
            "sector": [SECTORS[s].name for s in sector_l],
            "industry": [SECTORS[s].industries[k][0] for s, k in zip(sector_l, sub_l, strict=True)],
            "sub_industry": [SECTORS[s].industries[k][1] for s, k in zip(sector_l, sub_l, strict=True)],
            "country": [COUNTRIES[c].name for c in country_l],
            "region": [COUNTRIES[c].region for c in country_l],
            "headquarters": hqs,
            "listing_status": [ListingStatus.LISTED.value if x else ListingStatus.PRIVATE.value for x in listed_l],
            "ownership": [OWNERSHIPS[o].value for o in own_l],
            "sponsor": [SPONSORS[p] if p >= 0 else None for p in sponsor_l],
            "currency": [COUNTRIES[c].currency for c in country_l],
            "founded_year": founded.tolist(),
            "employees": employees.tolist(),
            "market_cap_usd_m": _nullable(market_cap, market_cap_null),
            "revenue_usd_m": revenue.tolist(),
            "ebitda_usd_m": ebitda.tolist(),
            "net_income_usd_m": net_income.tolist(),
            "total_debt_usd_m": total_debt.tolist(),
            "cash_usd_m": cash.tolist(),
            "net_debt_usd_m": net_debt.tolist(),
            "revenue_growth_pct": growth.tolist(),
            "ebitda_margin_pct": margin.tolist(),
            "pe_ratio": _nullable(pe, pe_null),
            "dividend_yield_pct": _nullable(dividend, ~listed),
            "rating": _nullable(np.array(RATING_SCALE, dtype=object)[notch], ~rated),
            "description": descriptions,
            "financials_as_of": [self.as_of] * n,
            "source": ["Demo universe (fictional)"] * n,
            "created_at": [self.timestamp] * n,
            "updated_at": [self.timestamp] * n,
        }
        keys = list(columns)
        rows = [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]

        debt_rows = self._debt_ladder(rng, ids, total_debt, notch, ownership, listed, growth, country)
        universe.add(ids=ids, sector=sector, sub_industry=sub_industry, country=country, listed=listed,
                     ownership=ownership, sponsor=sponsor, revenue=revenue, ebitda=ebitda,
                     net_income=net_income, total_debt=total_debt, cash=cash, net_debt=net_debt,
                     market_cap=np.where(listed, market_cap, 0.0), growth=growth, margin=margin,
                     notch=notch, rated=rated, founded=founded)
        universe.names.extend(names)
        universe.tickers.extend(tickers)
        return rows, debt_rows

    def _debt_ladder(self, rng: np.random.Generator, ids: np.ndarray, total_debt: np.ndarray,
                     notch: np.ndarray, ownership: np.ndarray, listed: np.ndarray,
                     growth: np.ndarray, country: np.ndarray) -> list[dict[str, Any]]:
        has_debt = np.flatnonzero(total_debt > 0)
        if not len(has_debt):
            return []
        td = total_debt[has_debt]
        p = np.clip((np.log10(td) - 1.0) / 4.0, 0.05, 0.9)
        count = 1 + rng.binomial(5, p)
        count = np.minimum(count, np.maximum(1, (td // 5).astype(np.int64)))
        owner = np.repeat(np.arange(len(has_debt)), count)  # index into has_debt
        k = len(owner)
        first = np.concatenate(([0], np.cumsum(count)[:-1]))
        is_last = np.zeros(k, dtype=bool)
        is_last[first + count - 1] = True

        comp = has_debt[owner]
        hy = (notch[comp] >= 10) | (ownership[comp] == OWN_SPONSOR)
        ig_w = np.array([x[4] for x in IG_INSTRUMENTS])
        hy_w = np.array([x[4] for x in HY_INSTRUMENTS])
        kind = np.where(hy,
                        len(IG_INSTRUMENTS) + rng.choice(len(HY_INSTRUMENTS), size=k, p=hy_w),
                        rng.choice(len(IG_INSTRUMENTS), size=k, p=ig_w / ig_w.sum()))
        convertible = listed[comp] & (growth[comp] > 10) & (rng.random(k) < 0.25)
        kind = np.where(convertible, len(INSTRUMENTS) - 1, kind)

        weights = 0.3 + rng.gamma(2.0, 1.0, k)
        sums = np.add.reduceat(weights, first)
        share = weights / sums[owner]
        amount = np.maximum(np.floor(share * td[owner] * 10) / 10, 0.1)
        others = np.add.reduceat(np.where(is_last, 0.0, amount), first)
        amount = np.where(is_last, np.round(td[owner] - others[owner], 1), amount)

        years_left = rng.uniform(0.05, 10.0, k)
        cp = kind == 4  # commercial paper is short by nature
        years_left = np.where(cp, rng.uniform(0.05, 0.75, k), years_left)
        tenor_type = np.array([x[3] for x in INSTRUMENTS])[kind]
        tenor = np.maximum(tenor_type, years_left + rng.uniform(0.3, 2.5, k))
        tenor = np.where(cp, np.maximum(years_left + 0.1, 0.5), tenor)
        as_of = np.datetime64(self.as_of, "D")
        maturity = np.minimum(as_of + (years_left * 365.25).astype("timedelta64[D]"),
                              np.datetime64(LAST_MATURITY, "D"))
        issue = maturity - (tenor * 365.25).astype("timedelta64[D]")
        issue_year = issue.astype("datetime64[Y]").astype(np.int64) + 1970

        nt = notch[comp]
        coupon = base_rate(issue_year) + credit_spread(nt)
        name_arr = np.array([x[0] for x in INSTRUMENTS], dtype=object)[kind]
        secured_arr = np.array([x[2] for x in INSTRUMENTS])[kind]
        coupon = coupon - np.where(secured_arr, 0.3, 0.0) + np.where(kind == len(IG_INSTRUMENTS) + 4, 1.5, 0.0)
        coupon = np.where(convertible, rng.uniform(0.0, 3.0, k), coupon)
        coupon = np.round(np.maximum(coupon, 0.125) * 8) / 8

        local = rng.random(k) < 0.6
        ccy = np.array([c.currency for c in COUNTRIES], dtype=object)[country[comp]]
        currency = np.where(local, ccy, "USD")
        cols: dict[str, list[Any]] = {
            "company_id": ids[comp].tolist(),
            "instrument": name_arr.tolist(),
            "amount_usd_m": amount.tolist(),
            "currency": currency.tolist(),
            "coupon_pct": np.round(coupon, 3).tolist(),
            "issue_date": issue.astype(object).tolist(),
            "maturity_date": maturity.astype(object).tolist(),
            "seniority": np.array([x[1] for x in INSTRUMENTS], dtype=object)[kind].tolist(),
            "secured": secured_arr.tolist(),
        }
        keys = list(cols)
        return [dict(zip(keys, v, strict=True)) for v in zip(*cols.values(), strict=True)]


OWNERSHIP_PHRASES = {
    OWN_PUBLIC: "It is widely held and listed on {exchange}.",
    OWN_FOUNDER: "It is founder-led",
    OWN_FAMILY: "It is controlled by its founding family",
    OWN_STATE: "It is majority state-owned",
    OWN_SUBSIDIARY: "It is a subsidiary of a larger group",
}


def _describe_company(name: str, sector: Any, sub: int, country: Any, hq: str, founded: int,
                      revenue: float, growth: float, margin: float, employees: int,
                      exchange: str | None, ownership: int, sponsor: str | None, i: int) -> str:
    industry, sub_industry = sector.industries[sub]
    variant = i % 3
    if variant == 0:
        first = (f"{name} is a {country.adjective} company in {sub_industry.lower()} "
                 f"({sector.name}), headquartered in {hq} and founded in {founded}.")
    elif variant == 1:
        first = (f"Founded in {founded} and based in {hq}, {name} operates in "
                 f"{industry.lower()}, focused on {sub_industry.lower()}.")
    else:
        first = (f"{name} is a {sub_industry.lower()} business headquartered in {hq}; "
                 f"it was founded in {founded}.")
    second = (f"It reported revenue of {money(revenue)} ({growth:+.1f}% year on year) at an "
              f"EBITDA margin of {margin:.1f}% and employs about {employees:,} people.")
    if ownership == OWN_SPONSOR:
        third = f"It is backed by {sponsor}" + (f" and listed on {exchange}." if exchange else ".")
    elif ownership == OWN_PUBLIC:
        third = OWNERSHIP_PHRASES[OWN_PUBLIC].format(exchange=exchange)
    else:
        third = OWNERSHIP_PHRASES[ownership] + (f" and listed on {exchange}." if exchange else " and privately held.")
    return f"{first} {second} {third}"
