"""Earnings-call transcripts and 10-K risk factors for the largest listed demo companies.

Text is one sentence per line, as transcripts are usually delivered, and every figure is
taken from the company's own financials so that search answers can be checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.demo.companies import OWN_SPONSOR, FrozenUniverse
from workbench.demo.vocabulary import BANKS, COUNTRIES, FIRST_NAMES, LAST_NAMES, SECTORS, SPONSORS
from workbench.domain import RATING_SCALE, DocumentType

QUARTER_NAMES = ("first", "second", "third", "fourth")


@dataclass(frozen=True)
class DebtLine:
    instrument: str
    amount_usd_m: float
    maturity_date: dt.date
    coupon_pct: float | None


def big(usd_m: float) -> str:
    """Transcript style: $455 million, $1.82 billion."""
    if abs(usd_m) >= 1000:
        return f"${usd_m / 1000:,.2f} billion"
    return f"${usd_m:,.0f} million" if abs(usd_m) >= 10 else f"${usd_m:,.1f} million"


def _people(rnd: random.Random, count: int) -> list[str]:
    """Distinct speakers, so that no two people on a call share a first or last name."""
    return [f"{a} {b}" for a, b in zip(rnd.sample(FIRST_NAMES, count), rnd.sample(LAST_NAMES, count),
                                       strict=True)]


QA = (
    ("Can you talk about the drivers behind the guidance change?",
     "Sure, the main driver is volume, with pricing a smaller contributor."),
    ("How should we think about margins into next year?",
     "We expect margins to expand modestly as the cost programme comes through."),
    ("What is your appetite for acquisitions at current valuations?",
     "We look at many opportunities, but we stay disciplined on price."),
    ("How much of the growth came from pricing versus volume?",
     "Roughly two thirds came from volume and the rest from price and mix."),
    ("Are you seeing any change in customer behaviour in recent weeks?",
     "Order patterns have been stable, and our pipeline is in good shape."),
)


def pick_document_companies(universe: FrozenUniverse, count: int, seed: int,
                            exclude: set[int] | None = None) -> list[int]:
    """Universe indices of the companies that get documents: drawn among the largest listed
    (not those in ``exclude``: taken over and delisted)."""
    listed = np.flatnonzero(universe.listed.astype(bool))
    if exclude:
        listed = np.array([c for c in listed.tolist() if c not in exclude], dtype=np.int64)
    if not len(listed) or count <= 0:
        return []
    by_size = listed[np.argsort(-universe.market_cap[listed], kind="stable")]
    top = by_size[: max(count, min(len(by_size), 4 * count))].tolist()
    rnd = random.Random(f"{seed}-documents-pick")
    chosen = rnd.sample(top, min(count, len(top)))
    while len(chosen) < count:  # fewer listed companies than documents: later quarters repeat names
        chosen.append(chosen[len(chosen) % len(top)])
    return chosen


def document_rows(universe: FrozenUniverse, chosen: list[int], debt: dict[int, list[DebtLine]], *,
                  seed: int, as_of: dt.date, timestamp: dt.datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for j, c in enumerate(chosen):
        rnd = random.Random(f"{seed}-document-{j}")
        repeat = seen.get(c, 0)
        seen[c] = repeat + 1
        company_id = int(universe.ids[c])
        facts = _facts(universe, c)
        if j % 5 in (0, 1, 3) or repeat:
            doc_type = DocumentType.TRANSCRIPT
            title, doc_date, text = _transcript(rnd, facts, as_of, quarters_back=repeat)
        else:
            doc_type = DocumentType.FILING_10K
            title, doc_date, text = _ten_k(rnd, facts, debt.get(company_id, []), as_of)
        rows.append({
            "id": j + 1,
            "key": f"DEMO-DOC-{j + 1:05d}-{facts['ticker']}",
            "company_id": company_id,
            "doc_type": doc_type.value,
            "title": title,
            "doc_date": doc_date,
            "source": "Demo universe (fictional)",
            "text": text,
            "char_count": len(text),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "created_at": timestamp,
            "updated_at": timestamp,
        })
    return rows


def _facts(u: FrozenUniverse, c: int) -> dict[str, Any]:
    sector = SECTORS[int(u.sector[c])]
    return {
        "name": u.names[c], "ticker": u.tickers[c] or f"C{int(u.ids[c])}",
        "country": COUNTRIES[int(u.country[c])], "sector": sector,
        "sub": sector.industries[int(u.sub_industry[c])][1],
        "revenue": float(u.revenue[c]), "ebitda": float(u.ebitda[c]), "margin": float(u.margin[c]),
        "growth": float(u.growth[c]), "net_income": float(u.net_income[c]),
        "total_debt": float(u.total_debt[c]), "cash": float(u.cash[c]), "net_debt": float(u.net_debt[c]),
        "notch": int(u.notch[c]), "rated": bool(u.rated[c]), "ownership": int(u.ownership[c]),
        "sponsor": SPONSORS[int(u.sponsor[c])] if int(u.sponsor[c]) >= 0 else None,
    }


def _quarter(as_of: dt.date, back: int) -> tuple[int, int, dt.date]:
    """The latest reported quarter `back` quarters ago: (year, quarter 1-4, quarter end)."""
    q_index = (as_of.year * 4 + (as_of.month - 1) // 3) - 1 - back
    year, q = divmod(q_index, 4)
    end_month = 3 * (q + 1)
    end = dt.date(year + (end_month // 12), end_month % 12 + 1, 1) - dt.timedelta(days=1)
    return year, q + 1, end


def _transcript(rnd: random.Random, f: dict[str, Any], as_of: dt.date, quarters_back: int
                ) -> tuple[str, dt.date, str]:
    year, q, q_end = _quarter(as_of, quarters_back)
    call_date = min(q_end + dt.timedelta(days=rnd.randint(21, 40)), as_of)
    n_questions = rnd.randint(2, 4)
    ceo, cfo, ir, *analysts = _people(rnd, 3 + n_questions)
    greeting = rnd.choice(["morning", "afternoon"])
    growth = f["growth"]
    q_rev = f["revenue"] / 4 * (1 + growth / 100 * 0.15) * rnd.uniform(0.97, 1.03)
    q_margin = f["margin"] + rnd.uniform(-1.0, 1.0)
    fy_mid = f["revenue"] * (1 + growth / 100 * 0.25)
    fy_lo, fy_hi = fy_mid * 0.997, fy_mid * 1.003
    leverage = f["net_debt"] / f["ebitda"] if f["ebitda"] > 0 else None
    qn = QUARTER_NAMES[q - 1]
    name = f["name"]
    lines = [
        f"{name} ({f['country'].exchange}: {f['ticker']}) Q{q} {year} Earnings Call Transcript",
        f"Date: {call_date:%B %d, %Y}",
        "",
        "Operator",
        f"Good {greeting}, and welcome to the {name} {qn} quarter {year} earnings conference call.",
        "All participants are in listen-only mode.",
        f"I would now like to turn the call over to {ir}, Head of Investor Relations.",
        "",
        "Prepared remarks",
        f"{ir}, Head of Investor Relations",
        "Thank you, operator.",
        "Some of our comments today are forward-looking statements that involve risks and uncertainties.",
        f"With me on the call are {ceo}, our Chief Executive Officer, and {cfo}, our Chief Financial Officer.",
        "",
        f"{ceo}, Chief Executive Officer",
        f"Thank you, and good {greeting} everyone.",
        f"Revenue for the {qn} quarter was {big(q_rev)}, {'up' if growth >= 0 else 'down'} {abs(growth):.1f}% year over year.",
        f"Adjusted EBITDA was {big(q_rev * q_margin / 100)}, a margin of {q_margin:.1f}%.",
    ]
    lines += rnd.sample([
        f"Demand in {f['sub'].lower()} remained {'healthy' if growth > 3 else 'soft'} through the quarter.",
        "We continued to invest in our product roadmap while keeping a tight grip on costs.",
        "Pricing held up well and more than offset cost inflation.",
        f"Our {f['country'].adjective} operations delivered another quarter of solid execution.",
        "Order intake was ahead of shipments, which gives us good visibility into next year.",
        "We closed two small bolt-on acquisitions that are already contributing.",
        "Customer retention remained above ninety percent.",
    ], 4)
    if growth >= 5:
        guidance = f"We are raising our outlook and now expect full-year revenue of {big(fy_lo)} to {big(fy_hi)}."
    elif growth >= 0:
        guidance = f"We are reaffirming our guidance and expect full-year revenue of {big(fy_lo)} to {big(fy_hi)}."
    else:
        guidance = f"We now expect full-year revenue of {big(fy_lo)} to {big(fy_hi)}, below our earlier range."
    lines += [
        guidance,
        f"We expect an adjusted EBITDA margin of around {f['margin']:.1f}% for the full year.",
        "",
        f"{cfo}, Chief Financial Officer",
        "Thank you.",
        f"We ended the quarter with cash of {big(f['cash'])} and total debt of {big(f['total_debt'])}."
        if f["total_debt"] > 0 else f"We ended the quarter with cash of {big(f['cash'])} and no debt.",
    ]
    if f["net_debt"] < 0:
        lines.append(f"We hold net cash of {big(-f['net_debt'])}.")
    elif leverage is not None and leverage >= 0.1:
        lines.append(f"Net leverage stood at {leverage:.1f} times EBITDA.")
    if f["rated"]:
        lines.append(f"Our credit rating is {RATING_SCALE[f['notch']]}, and we remain committed to it.")
    if f["net_income"] > 0:
        lines.append(f"Net income over the last twelve months was {big(f['net_income'])}.")
    else:
        lines.append(f"We reported a net loss of {big(-f['net_income'])} over the last twelve months.")
    lines += [
        rnd.choice(["Free cash flow conversion was strong.", "Working capital was a modest use of cash.",
                    "Capital expenditure was in line with our plan."]),
        "",
        "Question-and-answer session",
        "Operator",
        "We will now begin the question-and-answer session.",
    ]
    leverage_view = ("around current levels" if leverage is None or leverage < 3
                     else "coming down over the next two years")
    qa = [*QA, ("Could you update us on capital allocation and leverage targets?",
                f"We are comfortable with leverage {leverage_view}.")]
    for k, (analyst, bank, (question, answer)) in enumerate(
            zip(analysts, rnd.sample(BANKS, n_questions), rnd.sample(qa, n_questions), strict=True)):
        lines += [
            f"Our {'first' if k == 0 else 'next'} question comes from {analyst} with {bank}.",
            f"{analyst}, {bank}",
            question,
            cfo if "leverage" in question or "margins" in question else ceo,
            answer,
        ]
        if rnd.random() < 0.3:
            lines.append("We will give more detail at our investor day.")
    lines += ["Operator", "This concludes today's conference call.", "Thank you for participating."]
    title = f"{name} Q{q} {year} Earnings Call Transcript"
    return title, call_date, "\n".join(lines)


def _ten_k(rnd: random.Random, f: dict[str, Any], debt: list[DebtLine], as_of: dt.date
           ) -> tuple[str, dt.date, str]:
    fy_end = dt.date(as_of.year, 9, 30) if as_of.month >= 10 else dt.date(as_of.year - 1, 9, 30)
    filed = min(fy_end + dt.timedelta(days=rnd.randint(40, 60)), as_of)
    horizon = fy_end + dt.timedelta(days=730)
    near = sum(d.amount_usd_m for d in debt if d.maturity_date <= horizon)
    name = f["name"]
    sector = f["sector"]
    lines = [
        f"{name} Annual Report on Form 10-K for the fiscal year ended {fy_end:%B %d, %Y}",
        "Item 1A. Risk Factors",
        "Our business is subject to many risks.",
        "The risks described below could materially affect our business, financial condition and results of operations.",
        "",
        "Risks related to our industry",
    ]
    consequences = rnd.sample([
        "Any of these developments could reduce our revenue and profitability.",
        "We may not be able to pass higher costs on to our customers.",
        "Our competitors may respond more quickly than we can.",
        "Such events could require us to record impairment charges.",
    ], len(sector.risks))
    for risk, consequence in zip(sector.risks, consequences, strict=True):
        lines += [risk + ".", consequence]
    lines += [
        "",
        "Risks related to our indebtedness",
        f"As of {fy_end:%B %d, %Y}, we had total indebtedness of approximately {big(f['total_debt'])} "
        f"and cash of {big(f['cash'])}.",
    ]
    if debt:
        lines.append(f"Of our debt, {big(near)} matures before {horizon:%B %Y}, and we may need to "
                     "refinance it on less favourable terms." if near > 0 else
                     f"None of our debt matures before {horizon:%B %Y}, but later maturities must "
                     "be refinanced in markets we cannot predict.")
        largest = max(debt, key=lambda d: d.amount_usd_m)
        coupon = f" bearing interest at {largest.coupon_pct:.3f}%" if largest.coupon_pct is not None else ""
        lines.append(f"Our largest obligation is our {largest.instrument.lower()} of {big(largest.amount_usd_m)}{coupon}, "
                     f"due {largest.maturity_date:%B %Y}.")
    else:
        lines.append("We currently have no funded debt, although we may incur debt in the future.")
    if f["rated"]:
        lines.append(f"Our corporate credit rating is {RATING_SCALE[f['notch']]}; a downgrade would raise our borrowing costs.")
    if f["ownership"] == OWN_SPONSOR and f["sponsor"]:
        lines.append(f"Funds affiliated with {f['sponsor']} control a significant share of our voting power, and their interests may differ from yours.")
    lines += [
        "",
        "General risks",
        f"We generated revenue of {big(f['revenue'])} in fiscal {fy_end.year}, and our results may fluctuate from quarter to quarter.",
        f"Changes in exchange rates may affect our results because part of our business is outside {f['country'].name}.",
        "Cyber attacks or failures of our information systems could disrupt our operations.",
        "We depend on our senior management and on attracting and retaining skilled employees.",
        rnd.choice(["Changes in tax law could increase our effective tax rate.",
                    "Litigation and regulatory investigations could result in significant costs.",
                    "Pandemics, conflicts and natural disasters could disrupt our supply chain."]),
    ]
    title = f"{name} Form 10-K {fy_end.year}: Risk Factors"
    return title, filed, "\n".join(lines)
