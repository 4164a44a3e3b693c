"""ECM, DCM and M&A deals over the five years before the as-of date, with their parties and
descriptions written from the facts (many templates, synonyms and optional clauses)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.demo.companies import OWN_FAMILY, OWN_FOUNDER, OWN_SPONSOR, OWN_STATE, FrozenUniverse, base_rate, credit_spread
from workbench.demo.wording import fix_articles, join_names, money, pct, possessive
from workbench.demo.vocabulary import BANKS, COUNTRIES, FX_PER_USD, SECTORS, SPONSORS
from workbench.domain import RATING_SCALE, DealStatus, DealType, PartyRole

PHASE_DEALS = 4
DEAL_CHUNK = 5_000
HISTORY_DAYS = 5 * 365

TYPE_MIX = {
    DealType.MA: 0.30, DealType.IG_BOND: 0.17, DealType.HY_BOND: 0.10, DealType.TERM_LOAN: 0.12,
    DealType.FOLLOW_ON: 0.14, DealType.IPO: 0.07, DealType.CONVERTIBLE: 0.10,
}
TYPE_CODES = {
    DealType.MA: "MA", DealType.IG_BOND: "IG", DealType.HY_BOND: "HY", DealType.TERM_LOAN: "TL",
    DealType.FOLLOW_ON: "FO", DealType.IPO: "IPO", DealType.CONVERTIBLE: "CB",
}
DEAL_TYPES = tuple(TYPE_MIX)
PUBLIC_TARGET_SHARE = 0.3  # of M&A deals: a listed target, planned so it is taken over once
# Floating-rate benchmark of a loan by currency
LOAN_BENCHMARK = {"USD": "SOFR", "EUR": "EURIBOR", "GBP": "SONIA", "JPY": "TONA", "CHF": "SARON"}


@dataclass
class DealPlan:
    """Which deal is which type, and which companies went public when (prices start then)."""

    types: list[DealType]
    dates: list[dt.date]
    ipo_issuer: dict[int, int]  # deal index -> universe index
    first_trade: dict[int, dt.date]  # company id -> IPO date
    # deal index -> (universe index of the listed target, completion date or None, withdrawn)
    takeovers: dict[int, tuple[int, dt.date | None, bool]] = field(default_factory=dict)
    last_trade: dict[int, dt.date] = field(default_factory=dict)  # company id -> delisting date

    @property
    def acquired(self) -> set[int]:
        """Universe indexes of the listed companies taken over (delisted) by the as-of date."""
        return {c for c, closed, _ in self.takeovers.values() if closed is not None}


@dataclass(frozen=True)
class DealOutcome:
    """What a deal changes in the rest of the universe, applied after all deals are made."""

    debt: list[dict[str, Any]]  # debt_instruments rows: bonds and loans still outstanding
    delisted: list[tuple[int, str, bool, dt.date]]  # (company id, acquirer, by a sponsor, closed)


def _deal_size(raw: float, *, step: float, cap: float, debt: float) -> float:
    """A bond or loan size as a share of the issuer's debt, in round steps, never more than
    that debt (and never zero)."""
    size = min(round(raw / step) * step, cap)
    if size > debt:
        size = math.floor(debt / step) * step
    return float(size) if size > 0 else round(max(debt, 0.1), 1)


def _weighted_pick(rnd: random.Random, pool: np.ndarray, weights: np.ndarray | None) -> int:
    if weights is None:
        return int(pool[int(rnd.random() * len(pool))])
    cum = np.cumsum(weights)
    return int(pool[min(int(np.searchsorted(cum, rnd.random() * cum[-1])), len(pool) - 1)])


def plan_deals(universe: FrozenUniverse, *, seed: int, as_of: dt.date, count: int) -> DealPlan:
    rnd = random.Random(f"{seed}-deals-plan")
    names = list(TYPE_MIX)
    weights = list(TYPE_MIX.values())
    types = [names[i] if i < len(names) else rnd.choices(names, weights)[0] for i in range(count)]
    dates = [as_of - dt.timedelta(days=int(rnd.random() * HISTORY_DAYS)) for _ in range(count)]
    listed = np.flatnonzero(universe.listed.astype(bool))
    young_first = listed[np.argsort(-universe.founded[listed], kind="stable")] if len(listed) else listed
    # Companies that went public recently are the young, listed ones; take about a third of the
    # listed universe at most, so that most listed names have a full price history.
    candidates = list(young_first[: max(1, len(listed) // 3)].tolist()) if len(listed) else []
    rnd.shuffle(candidates)
    ipo_issuer: dict[int, int] = {}
    first_trade: dict[int, dt.date] = {}
    for i, deal_type in enumerate(types):
        if deal_type is DealType.IPO and candidates and rnd.random() > 0.08:
            company = candidates.pop()
            ipo_issuer[i] = company
            first_trade[int(universe.ids[company])] = dates[i]
    # Public take-overs are planned up front, once per company, so that a target taken
    # private stops trading at completion and is no one's issuer or target afterwards.
    ipo_set = set(ipo_issuer.values())
    seasoned = [int(c) for c in listed if int(c) not in ipo_set]
    rnd.shuffle(seasoned)
    takeovers: dict[int, tuple[int, dt.date | None, bool]] = {}
    last_trade: dict[int, dt.date] = {}
    cap = len(seasoned) // 4  # at most a quarter of the listed names disappear in five years
    for i, deal_type in enumerate(types):
        if deal_type is not DealType.MA or len(takeovers) >= cap or rnd.random() >= PUBLIC_TARGET_SHARE:
            continue
        company = seasoned.pop()
        withdrawn = rnd.random() < 0.08
        close = dates[i] + dt.timedelta(days=rnd.randint(60, 300))
        done = None if withdrawn or close > as_of else close
        takeovers[i] = (company, done, withdrawn)
        if done is not None:
            last_trade[int(universe.ids[company])] = done
    return DealPlan(types=types, dates=dates, ipo_issuer=ipo_issuer, first_trade=first_trade,
                    takeovers=takeovers, last_trade=last_trade)


class _Pools:
    def __init__(self, u: FrozenUniverse, ipo_companies: set[int], acquired: set[int] | None = None) -> None:
        n = len(u)
        everyone = np.arange(n)
        listed = u.listed.astype(bool)
        not_ipo = np.ones(n, dtype=bool)
        if ipo_companies:
            not_ipo[list(ipo_companies)] = False
        active = np.ones(n, dtype=bool)  # not taken over during the five years
        if acquired:
            active[list(acquired)] = False
        rated = u.rated.astype(bool)

        def pool(mask: np.ndarray, fallback: np.ndarray) -> np.ndarray:
            chosen = everyone[mask]
            return chosen if len(chosen) else fallback

        self.all = pool(active, everyone)
        self.private = pool(~listed & active, self.all)
        self.listed = pool(listed & not_ipo & active, pool(listed & active, self.all))
        # An issuer's new bond or loan is part of its debt: only companies with enough debt
        # for a benchmark-sized deal issue one (so a deal never exceeds the issuer's debt).
        debt = pool((u.total_debt >= 100.0) & active, pool(u.total_debt > 0, everyone))
        self.ig = pool(rated & (u.notch <= 9) & (u.total_debt >= 300.0) & active, debt)
        self.hy = pool(rated & (u.notch >= 10) & (u.total_debt >= 150.0) & active, debt)
        self.debt = debt
        self.large = pool((u.revenue >= np.quantile(u.revenue, 0.7) if n else everyone) & active, self.all)
        self.listed_w = np.sqrt(np.maximum(u.market_cap[self.listed], 1.0))
        # a convertible is debt too: issued by listed companies that carry some
        self.convertible = pool(listed & not_ipo & active & (u.total_debt >= 100.0), self.listed)
        self.convertible_w = np.sqrt(np.maximum(u.market_cap[self.convertible], 1.0))
        self.ig_w = np.sqrt(u.revenue[self.ig])
        self.hy_w = np.sqrt(u.revenue[self.hy])
        self.debt_w = np.sqrt(u.revenue[self.debt])
        self.all_w = np.power(np.maximum(u.revenue[self.all], 1.0), 0.3)
        self.private_w = np.power(np.maximum(u.revenue[self.private], 1.0), 0.3)


def deal_chunks(universe: FrozenUniverse, plan: DealPlan, *, seed: int, as_of: dt.date
                ) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], int, DealOutcome]]:
    """Yield (deal rows, party rows, deals done, what they change) chunk by chunk; deal ids
    are 1..count."""
    if not plan.types or not len(universe):
        return
    pools = _Pools(universe, set(plan.ipo_issuer.values()), plan.acquired)
    timestamp = dt.datetime.combine(as_of, dt.time(), tzinfo=dt.UTC)
    count = len(plan.types)
    for chunk_no, lo in enumerate(range(0, count, DEAL_CHUNK)):
        rnd = random.Random(f"{seed}-deals-{chunk_no}")
        deals: list[dict[str, Any]] = []
        parties: list[dict[str, Any]] = []
        outcome = DealOutcome([], [])
        for i in range(lo, min(count, lo + DEAL_CHUNK)):
            maker = _DealMaker(rnd, universe, pools, plan, as_of, i)
            deal, deal_parties = maker.make()
            if maker.instrument is not None:
                outcome.debt.append(maker.instrument)
            if maker.delisted is not None:
                outcome.delisted.append(maker.delisted)
            deal.update(id=i + 1, created_at=timestamp, updated_at=timestamp)
            deals.append(deal)
            seen: set[tuple[str, str]] = set()
            for role, name, company_id in deal_parties:
                if (role, name) in seen:
                    continue
                seen.add((role, name))
                parties.append({"deal_id": i + 1, "role": role.value, "name": name, "company_id": company_id})
        yield deals, parties, min(count, lo + DEAL_CHUNK), outcome


class _DealMaker:
    def __init__(self, rnd: random.Random, u: FrozenUniverse, pools: _Pools, plan: DealPlan,
                 as_of: dt.date, i: int) -> None:
        self.rnd, self.u, self.pools, self.as_of, self.i = rnd, u, pools, as_of, i
        self.type = plan.types[i]
        self.date = plan.dates[i]
        self.ipo_company = plan.ipo_issuer.get(i)
        self.takeover = plan.takeovers.get(i)
        self.parties: list[tuple[PartyRole, str, int | None]] = []
        self.categories: list[str] = []
        self.currency = "USD"
        self.instrument: dict[str, Any] | None = None  # a bond or loan still outstanding at as-of
        self.delisted: tuple[int, str, bool, dt.date] | None = None

    # -- helpers -----------------------------------------------------------------------
    def company(self, c: int) -> dict[str, Any]:
        u = self.u
        country = COUNTRIES[int(u.country[c])]
        sector = SECTORS[int(u.sector[c])]
        industry, sub = sector.industries[int(u.sub_industry[c])]
        sponsor = SPONSORS[int(u.sponsor[c])] if int(u.sponsor[c]) >= 0 else None
        return {"idx": c, "id": int(u.ids[c]), "name": u.names[c], "ticker": u.tickers[c],
                "country": country, "sector": sector, "industry": industry, "sub": sub,
                "sponsor": sponsor, "ownership": int(u.ownership[c]), "revenue": float(u.revenue[c]),
                "ebitda": float(u.ebitda[c]), "mcap": float(u.market_cap[c]),
                "net_debt": float(u.net_debt[c]), "total_debt": float(u.total_debt[c]), "notch": int(u.notch[c]),
                "rated": bool(u.rated[c]), "listed": bool(u.listed[c])}

    def banks(self, low: int, high: int) -> list[str]:
        return self.rnd.sample(BANKS, self.rnd.randint(low, high))

    def status_and_close(self, withdrawn_p: float, settle: tuple[int, int]) -> tuple[str, dt.date | None]:
        if self.rnd.random() < withdrawn_p:
            return DealStatus.WITHDRAWN.value, None
        closed = self.date + dt.timedelta(days=self.rnd.randint(*settle))
        if closed > self.as_of:
            return DealStatus.PRICED.value, None
        return DealStatus.COMPLETED.value, closed

    def cash(self, usd_m: float) -> str:
        """An amount as the deal's description states it: in the deal's currency."""
        return money(round(usd_m * FX_PER_USD[self.currency], 1), self.currency)

    def outstanding(self, deal: dict[str, Any], company_id: int, instrument: str, seniority: str,
                    secured: bool) -> None:
        """A completed bond or loan that has not matured is in the issuer's debt."""
        closed, tenor = deal["closed_date"], deal["tenor_years"]
        if closed is None or not tenor:
            return
        maturity = dt.date(closed.year + int(tenor), closed.month, min(closed.day, 28))
        if maturity <= self.as_of:
            return
        self.instrument = {"company_id": company_id, "instrument": instrument, "amount_usd_m": deal["size_usd_m"],
                           "currency": deal["currency"], "coupon_pct": deal["coupon_pct"], "issue_date": closed,
                           "maturity_date": maturity, "seniority": seniority, "secured": secured}

    def base(self, c: dict[str, Any], size: float, currency: str) -> dict[str, Any]:
        code = TYPE_CODES[self.type]
        self.currency = currency
        return {
            "key": f"DEMO-{code}-{self.i + 1:07d}",
            "deal_type": self.type.value,
            "announced_date": self.date,
            "size_usd_m": round(size, 1),
            "currency": currency,
            "size_local_m": round(size * FX_PER_USD[currency], 1),
            "sector": c["sector"].name,
            "industry": c["industry"],
            "region": c["country"].region,
            "country": c["country"].name,
            "enterprise_value_usd_m": None, "ev_revenue": None, "ev_ebitda": None,
            "premium_pct": None, "consideration": None, "coupon_pct": None,
            "tenor_years": None, "rating": None,
            "source": "Demo universe (fictional)",
        }

    def pick(self, pool: np.ndarray, weights: np.ndarray | None = None) -> dict[str, Any]:
        return self.company(_weighted_pick(self.rnd, pool, weights))

    def make(self) -> tuple[dict[str, Any], list[tuple[PartyRole, str, int | None]]]:
        builder = {
            DealType.IPO: self.ipo, DealType.FOLLOW_ON: self.follow_on,
            DealType.CONVERTIBLE: self.convertible, DealType.IG_BOND: self.bond,
            DealType.HY_BOND: self.bond, DealType.TERM_LOAN: self.term_loan, DealType.MA: self.ma,
        }[self.type]
        deal = builder()
        deal["categories"] = self.categories
        return deal, self.parties

    # -- equity --------------------------------------------------------------------------
    def ipo(self) -> dict[str, Any]:
        r = self.rnd
        if self.ipo_company is not None:
            c = self.company(self.ipo_company)
            status, closed = self.status_and_close(0.0, (2, 5))
            valuation = max(c["mcap"], 50.0) * r.uniform(0.7, 1.2)
        else:
            # A withdrawn listing attempt: the company is still private today.
            c = self.pick(self.pools.private)
            status, closed = DealStatus.WITHDRAWN.value, None
            valuation = max(c["ebitda"], c["revenue"] * 0.1) * c["sector"].ev_ebitda * r.uniform(0.8, 1.2)
        size = round(valuation * r.uniform(0.15, 0.3), 1)
        sponsor = c["sponsor"] or (r.choice(SPONSORS) if r.random() < 0.4 else None)
        banks = self.banks(2, 4)
        exchange = c["country"].exchange
        deal = self.base(c, size, c["country"].currency)
        deal.update(name=f"{c['name']} IPO", status=status, closed_date=closed)
        self.parties += [(PartyRole.ISSUER, c["name"], c["id"])] + [(PartyRole.BOOKRUNNER, b, None) for b in banks]
        self.categories += ["ecm", "ipo"]
        verb = r.choice(["priced its initial public offering", "completed its IPO", "listed its shares",
                         "made its market debut"])
        if status == DealStatus.WITHDRAWN.value:
            text = (f"{c['name']} postponed its planned {self.cash(size)} initial public offering on {exchange}, "
                    f"citing {r.choice(['volatile markets', 'weak investor demand', 'valuation gaps with investors'])}.")
        else:
            text = r.choice([
                f"{c['name']} {verb} on {exchange}, raising {self.cash(size)} at a market value of {self.cash(valuation)}.",
                f"The {c['country'].adjective} {c['sub'].lower()} company {c['name']} raised {self.cash(size)} in an IPO "
                f"on {exchange}, valuing it at {self.cash(valuation)}.",
                f"{c['name']} raised {self.cash(size)} in its {exchange} IPO, pricing "
                f"{r.choice(['at the top of', 'in the middle of', 'at the bottom of', 'above'])} the range "
                f"for a market capitalisation of {self.cash(valuation)}.",
            ])
        clauses = []
        if sponsor:
            self.parties.append((PartyRole.SELLER, sponsor, None))
            self.categories += ["sponsor-backed", "sponsor exit"]
            clauses.append(r.choice([f"The offering gave {sponsor} a partial exit.",
                                     f"Backer {sponsor} sold part of its stake.",
                                     f"{sponsor}, the private equity owner, sold secondary shares."]))
        if r.random() < 0.6:
            use = r.choice(["repay debt", "fund expansion", "invest in new capacity", "fund acquisitions"])
            clauses.append(f"Primary proceeds will be used to {use}.")
            self.categories.append(f"use of proceeds: {use}")
        if r.random() < 0.5:
            clauses.append(f"{join_names(banks)} ran the books.")
        deal["description"] = fix_articles(" ".join([text] + clauses))
        return deal

    def follow_on(self) -> dict[str, Any]:
        r = self.rnd
        c = self.pick(self.pools.listed, self.pools.listed_w)
        size = round(max(c["mcap"], 50.0) * r.uniform(0.02, 0.12), 1)
        discount = r.uniform(1.5, 8.0)
        status, closed = self.status_and_close(0.02, (2, 4))
        banks = self.banks(1, 3)
        deal = self.base(c, size, c["country"].currency)
        holder = {OWN_SPONSOR: c["sponsor"], OWN_FAMILY: "the founding family",
                  OWN_FOUNDER: "the founder", OWN_STATE: "the government"}.get(c["ownership"])
        secondary = holder is not None and r.random() < 0.7
        kind = "secondary placement" if secondary else r.choice(["follow-on offering", "primary placement",
                                                                  "accelerated bookbuild"])
        deal.update(name=f"{c['name']} {kind}", status=status, closed_date=closed)
        self.parties += [(PartyRole.ISSUER, c["name"], c["id"])] + [(PartyRole.BOOKRUNNER, b, None) for b in banks]
        self.categories += ["ecm", "follow-on"]
        when = r.choice(["overnight", "after the market close", "in a one-day marketed deal", ""])
        if secondary:
            if c["ownership"] == OWN_SPONSOR and c["sponsor"]:
                self.parties.append((PartyRole.SELLER, c["sponsor"], None))
                self.categories.append("sponsor sell-down")
            text = (f"{holder[0].upper() + holder[1:]} sold {self.cash(size)} of shares in {c['name']} {when}, "
                    f"a {discount:.1f}% discount to the last close.")
        else:
            use = r.choice(["fund growth", "repay its revolving credit facility", "fund a pending acquisition",
                            "strengthen the balance sheet"])
            self.categories.append(f"use of proceeds: {use}")
            text = r.choice([
                f"{c['name']} raised {self.cash(size)} in a {kind} {when}, priced at a {discount:.1f}% discount, to {use}.",
                f"{c['name']} sold {self.cash(size)} of new shares {when} at a {discount:.1f}% discount; "
                f"proceeds will {use}.",
            ])
        deal["description"] = fix_articles(" ".join(text.replace("  ", " ").replace(" ,", ",").split()))
        return deal

    def convertible(self) -> dict[str, Any]:
        r = self.rnd
        c = self.pick(self.pools.convertible, self.pools.convertible_w)
        size = _deal_size(max(c["mcap"], 50.0) * r.uniform(0.03, 0.12), step=5.0, cap=5_000.0, debt=c["total_debt"])
        tenor = r.choice([5, 5, 6, 7])
        coupon = round(max(0.0, r.uniform(0.0, 2.5) + 0.15 * max(c["notch"] - 9, 0)) * 8) / 8
        premium = r.uniform(20.0, 42.5)
        status, closed = self.status_and_close(0.01, (3, 7))
        banks = self.banks(1, 3)
        deal = self.base(c, size, "USD" if r.random() < 0.6 else c["country"].currency)
        year = self.date.year + tenor
        deal.update(name=f"{c['name']} {pct(coupon)} convertible notes due {year}", status=status,
                    closed_date=closed, coupon_pct=coupon, tenor_years=float(tenor))
        self.parties += [(PartyRole.ISSUER, c["name"], c["id"])] + [(PartyRole.BOOKRUNNER, b, None) for b in banks]
        self.categories += ["ecm", "convertible"]
        text = r.choice([
            f"{c['name']} priced {self.cash(size)} of {tenor}-year convertible notes with a {pct(coupon)} coupon "
            f"and a {premium:.1f}% conversion premium.",
            f"{c['name']} issued {self.cash(size)} of convertible bonds due {year}, paying {pct(coupon)} and "
            f"convertible at a {premium:.1f}% premium.",
        ])
        self.outstanding(deal, c["id"], "Convertible notes", "senior unsecured", False)
        if r.random() < 0.5:
            text += " A capped call was bought to reduce dilution."
        if r.random() < 0.4:
            text += f" Part of the proceeds will repurchase shares {r.choice(['concurrently', 'from hedging investors'])}."
        deal["description"] = fix_articles(text)
        return deal

    # -- debt ----------------------------------------------------------------------------
    def _currency(self, c: dict[str, Any]) -> str:
        draw = self.rnd.random()
        if draw < 0.6:
            return "USD"
        if draw < 0.85:
            return "EUR"
        return c["country"].currency

    def bond(self) -> dict[str, Any]:
        r = self.rnd
        ig = self.type is DealType.IG_BOND
        if ig:
            c = self.pick(self.pools.ig, self.pools.ig_w)
            notch = min(c["notch"], 9)
            size = _deal_size(c["total_debt"] * r.uniform(0.1, 0.4), step=50.0, cap=15_000.0, debt=c["total_debt"])
            tenor = r.choices([3, 5, 7, 10, 12, 20, 30], [2, 4, 3, 4, 1, 1, 1])[0]
            premium = 0.0
        else:
            c = self.pick(self.pools.hy, self.pools.hy_w)
            notch = max(c["notch"], 10)
            size = _deal_size(c["total_debt"] * r.uniform(0.15, 0.5), step=25.0, cap=3_000.0, debt=c["total_debt"])
            tenor = r.choice([5, 6, 7, 8])
            premium = 0.75
        coupon = float(base_rate(np.array([self.date.year]))[0] + credit_spread(np.array([notch]))[0])
        coupon = round((coupon + 0.05 * (tenor - 5) + premium + r.uniform(-0.2, 0.2)) * 8) / 8
        rating = RATING_SCALE[notch]
        status, closed = self.status_and_close(0.01, (3, 7))
        banks = self.banks(2, 4)
        currency = self._currency(c)
        year = self.date.year + tenor
        secured = not ig and r.random() < 0.45
        label = "senior secured notes" if secured else ("senior notes" if r.random() < 0.6 else "senior unsecured notes")
        deal = self.base(c, size, currency)
        deal.update(name=f"{c['name']} {pct(coupon)} {label} due {year}", status=status, closed_date=closed,
                    coupon_pct=coupon, tenor_years=float(tenor), rating=rating)
        self.parties += [(PartyRole.ISSUER, c["name"], c["id"])] + [(PartyRole.BOOKRUNNER, b, None) for b in banks]
        self.categories += ["dcm", "investment grade" if ig else "high yield"]
        self.outstanding(deal, c["id"], label.capitalize(), "senior secured" if secured else "senior unsecured", secured)
        verb = r.choice(["priced", "issued", "sold", "placed"])
        text = r.choice([
            f"{c['name']} {verb} {self.cash(size)} of {tenor}-year {label} at {pct(coupon)}.",
            f"{c['name']} ({rating}) {verb} a {self.cash(size)} bond due {year} with a {pct(coupon)} coupon.",
            f"{c['country'].adjective} {c['sub'].lower()} issuer {c['name']} {verb} {self.cash(size)} of {label} "
            f"due {year}, yielding {pct(coupon)}.",
        ])
        clauses = []
        if r.random() < 0.6:
            cover = r.uniform(1.5, 5.0)
            clauses.append(f"Books peaked above {self.cash(size * cover)}, {cover:.1f} times covered.")
        recap = not ig and c["ownership"] == OWN_SPONSOR
        use, purpose = r.choice([
            ("refinance notes maturing next year", "refinancing"),
            ("repay its term loan", "debt repayment"),
            ("fund an acquisition", "acquisition financing"),
            ("be used for general corporate purposes", "general corporate purposes"),
            ("fund a dividend recapitalisation", "dividend recap") if recap
            else ("extend its maturity profile", "refinancing"),
        ])
        clauses.append(f"Proceeds {r.choice(['will', 'are to'])} {use}.")
        self.categories.append(f"use of proceeds: {purpose}")
        if r.random() < 0.4:
            clauses.append(f"The notes are rated {rating}.")
        if r.random() < 0.4:
            clauses.append(f"Bookrunners: {join_names(banks)}.")
        deal["description"] = fix_articles(" ".join([text] + clauses))
        return deal

    def term_loan(self) -> dict[str, Any]:
        r = self.rnd
        c = self.pick(self.pools.debt, self.pools.debt_w)
        leveraged = c["notch"] >= 10 or c["ownership"] == OWN_SPONSOR
        kind = "term loan B" if leveraged else "term loan A"
        tenor = 7 if leveraged else 5
        margin = r.uniform(3.0, 4.75) if leveraged else r.uniform(0.9, 1.75)
        coupon = round(float(base_rate(np.array([self.date.year]))[0]) + margin, 3)
        size = _deal_size(c["total_debt"] * r.uniform(0.2, 0.6), step=25.0, cap=5_000.0, debt=c["total_debt"])
        status, closed = self.status_and_close(0.02, (5, 20))
        banks = self.banks(1, 4)
        currency = "USD" if r.random() < 0.7 else ("EUR" if r.random() < 0.7 else c["country"].currency)
        deal = self.base(c, size, currency)
        rating = RATING_SCALE[c["notch"]] if c["rated"] else None
        deal.update(name=f"{c['name']} {self.cash(size)} {kind}", status=status, closed_date=closed,
                    coupon_pct=coupon, tenor_years=float(tenor), rating=rating)
        self.parties += [(PartyRole.ISSUER, c["name"], c["id"])] + [(PartyRole.BOOKRUNNER, b, None) for b in banks]
        self.categories += ["dcm", "leveraged loan" if leveraged else "loan"]
        self.outstanding(deal, c["id"], "Term loan B" if leveraged else "Term loan A",
                         "senior secured" if leveraged else "senior unsecured", leveraged)
        spread_bp = int(round(margin * 100 / 25) * 25)
        rate = LOAN_BENCHMARK.get(currency, "SOFR")
        text = r.choice([
            f"{c['name']} signed a {self.cash(size)} {tenor}-year {kind} priced at {rate} + {spread_bp} bp "
            f"(about {pct(coupon)} all-in).",
            f"Lenders led by {banks[0]} provided {c['name']} with a {self.cash(size)} {kind} at {rate} + {spread_bp} bp.",
            f"{c['name']} {r.choice(['raised', 'syndicated', 'closed'])} a {self.cash(size)} {kind} due "
            f"{self.date.year + tenor}, priced at {rate} + {spread_bp} bp.",
        ])
        if leveraged and c["sponsor"]:
            text += f" The loan {r.choice(['refinances debt from', 'supports'])} {possessive(c['sponsor'])} ownership."
            self.categories.append("sponsor-backed")
        if r.random() < 0.5:
            text += " " + r.choice(["The deal was upsized on strong demand.",
                                    "Pricing tightened from initial talk.",
                                    "It includes a delayed-draw tranche.",
                                    "It replaces an existing facility."])
        deal["description"] = fix_articles(text)
        return deal

    # -- M&A -----------------------------------------------------------------------------
    def ma(self) -> dict[str, Any]:
        r = self.rnd
        u = self.u
        style = r.choices(["strategic", "sponsor", "carve_out"], [0.5, 0.3, 0.2])[0]
        if self.takeover is not None and style == "carve_out":
            style = "strategic"
        seller: tuple[str, int | None] | None = None
        if self.takeover is not None:
            # a listed company, planned so that it is taken over once and then delisted
            t = self.company(self.takeover[0])
            if t["sponsor"] and (style == "sponsor" or r.random() < 0.7):
                seller = (t["sponsor"], None)
                self.categories.append("secondary buyout" if style == "sponsor" else "sponsor exit")
        elif style == "carve_out":
            parent = self.pick(self.pools.large)
            unit_rev = parent["revenue"] * r.uniform(0.05, 0.25)
            unit_margin = max(parent["ebitda"] / max(parent["revenue"], 1.0) * 100 + r.uniform(-5, 5), 4.0)
            unit_ebitda = unit_rev * unit_margin / 100
            target_name = f"the {parent['sub'].lower()} unit of {parent['name']}"
            t = dict(parent, name=target_name, id=None, listed=False, revenue=unit_rev, ebitda=unit_ebitda)
            seller = (parent["name"], parent["id"])
            self.categories.append("carve-out")
        else:
            # listed targets are planned (above); the rest are private companies
            t = self.pick(self.pools.private, self.pools.private_w)
            if style == "sponsor":
                # Buyouts need debt financing, which caps their size: take the smallest of a few.
                t = min([t] + [self.pick(self.pools.private, self.pools.private_w) for _ in range(2)],
                        key=lambda c: c["revenue"])
            if t["sponsor"] and (style == "sponsor" or r.random() < 0.7):
                seller = (t["sponsor"], None)
                self.categories.append("secondary buyout" if style == "sponsor" else "sponsor exit")
        if style == "strategic" or (style == "carve_out" and r.random() < 0.5):
            # Buyers are usually larger and often in the same sector.
            candidates = [self.company(_weighted_pick(r, self.pools.all, self.pools.all_w)) for _ in range(8)]
            same = [c for c in candidates if c["sector"].name == t["sector"].name and c["id"] != t["id"]]
            options = same or [c for c in candidates if c["id"] != t["id"]] or candidates
            a = max(options, key=lambda c: c["revenue"])
            acquirer: tuple[str, int | None] = (a["name"], a["id"])
            acquirer_country = a["country"].name
            consideration = r.choices(["cash", "stock", "mixed"], [0.55, 0.2, 0.25])[0] if a["listed"] else "cash"
            buyer_is_sponsor = False
        else:
            sponsor = r.choice([s for s in SPONSORS if s != t.get("sponsor")])
            acquirer, acquirer_country, consideration = (sponsor, None), None, "cash"
            buyer_is_sponsor = True
            self.categories.append("sponsor buyout")
        multiple = t["sector"].ev_ebitda * float(np.exp(r.gauss(0.0, 0.2))) * r.uniform(1.05, 1.3)
        premium = None
        if t["listed"] and t["id"] is not None:
            premium = round(r.uniform(15.0, 55.0), 1)
            ev = max(t["mcap"], 20.0) * (1 + premium / 100) + t["net_debt"]
            if buyer_is_sponsor:
                self.categories.append("take-private")
            self.categories.append("public target")
        elif t["ebitda"] > 0:
            ev = t["ebitda"] * multiple
        else:
            ev = t["revenue"] * t["sector"].ev_revenue * r.uniform(0.6, 1.2)
        ev = round(max(ev, 5.0), 1)
        ev_ebitda = round(ev / t["ebitda"], 1) if t["ebitda"] > 0 else None
        ev_revenue = round(ev / t["revenue"], 2) if t["revenue"] > 0 else None
        cross_border = acquirer_country is not None and acquirer_country != t["country"].name
        if cross_border:
            self.categories.append("cross-border")

        status_draw = r.random()
        closed = None
        if self.takeover is not None:
            _, done, withdrawn = self.takeover
            if withdrawn:
                status = DealStatus.WITHDRAWN.value
            elif done is not None:
                status, closed = DealStatus.COMPLETED.value, done
                self.delisted = (t["id"], acquirer[0], buyer_is_sponsor, done)
            else:
                status = DealStatus.PENDING.value if (self.as_of - self.date).days > 30 else DealStatus.ANNOUNCED.value
        elif status_draw < 0.06:
            status = DealStatus.WITHDRAWN.value
        elif status_draw < 0.1 and (self.as_of - self.date).days < 120:
            status = DealStatus.RUMOURED.value
        else:
            close = self.date + dt.timedelta(days=r.randint(45, 300))
            if close <= self.as_of:
                status, closed = DealStatus.COMPLETED.value, close
            else:
                status = DealStatus.PENDING.value if (self.as_of - self.date).days > 30 else DealStatus.ANNOUNCED.value

        deal = self.base(t, ev, t["country"].currency)
        short_target = t["name"] if t["id"] is not None else f"{t['name']}"
        deal.update(name=f"{acquirer[0]} / {short_target[0].upper() + short_target[1:]}", status=status,
                    closed_date=closed, enterprise_value_usd_m=round(ev, 1), ev_revenue=ev_revenue,
                    ev_ebitda=ev_ebitda, premium_pct=premium, consideration=consideration)
        self.parties += [(PartyRole.TARGET, t["name"] if t["id"] is not None else short_target, t["id"]),
                         (PartyRole.ACQUIRER, acquirer[0], acquirer[1])]
        if seller:
            self.parties.append((PartyRole.SELLER, seller[0], seller[1]))
        advisors = r.sample(BANKS, r.randint(1, 4))
        self.parties += [(PartyRole.ADVISOR, b, None) for b in advisors]
        self.categories.insert(0, "m&a")

        verb = {
            DealStatus.COMPLETED.value: r.choice(["acquired", "completed the acquisition of", "bought"]),
            DealStatus.PENDING.value: r.choice(["agreed to acquire", "agreed to buy", "struck a deal to buy"]),
            DealStatus.ANNOUNCED.value: r.choice(["agreed to acquire", "announced a deal to buy"]),
            DealStatus.WITHDRAWN.value: r.choice(["walked away from its offer for", "abandoned its bid for"]),
            DealStatus.RUMOURED.value: r.choice(["is said to be in talks to buy", "is exploring a bid for"]),
        }[status]
        mult = f" ({ev_ebitda:.1f}x EBITDA)" if ev_ebitda and r.random() < 0.8 else (
            f" ({ev_revenue:.1f}x revenue)" if ev_revenue else "")
        value = r.choice([f"for {self.cash(ev)}", f"in a deal valued at {self.cash(ev)}", f"for an enterprise value of {self.cash(ev)}"])
        text = f"{acquirer[0]} {verb} {t['name']} {value}{mult}"
        clauses: list[str] = []
        if style == "carve_out":
            clauses.append(r.choice(["a carve-out", "a divestment that sharpens the seller's focus",
                                     "a carve-out of a non-core unit"]))
        if premium is not None:
            clauses.append(f"a {premium:.0f}% premium to the undisturbed share price")
        text += (", " + ", ".join(clauses) if clauses else "") + "."
        extra: list[str] = []
        if consideration != "cash" or r.random() < 0.5:
            extra.append({"cash": "The consideration is all cash.", "stock": "The deal is paid in shares.",
                          "mixed": "Consideration is a mix of cash and shares."}[consideration])
        if seller and style != "carve_out":
            extra.append(r.choice([f"The sale marks an exit for {seller[0]}.",
                                   f"Seller {seller[0]} had owned the business for several years."]))
        if cross_border:
            extra.append(f"The cross-border deal brings a {t['country'].adjective} business under "
                         f"{acquirer_country}-based ownership.")
        if buyer_is_sponsor and r.random() < 0.6:
            extra.append(r.choice(["Committed debt financing backs the buyout.",
                                   "The buyout is financed with a term loan B and high-yield notes."]))
        if r.random() < 0.5:
            extra.append(f"Advisers: {join_names(advisors)}.")
        deal["description"] = fix_articles(" ".join([text] + extra))
        return deal
