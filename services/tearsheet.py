"""A company's tear sheet: profile, key financials and ratios, debt maturity ladder, share
price against its sector, recent deals, latest documents with summaries, open alerts and
propensity scores with their factor breakdown.

Every part is read from the store and carries what it was read from (``sources``), so a
pitch pack can state its provenance. Private-side deals and documents follow the viewer's
information barriers; a company on the restricted list is flagged, never hidden.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.comps import company_metrics, companies_by_ids, resolve_company
from services.market import latest_price_date, price_vs_sector
from workbench.access import PUBLIC, Viewer, restricted_company_ids, visible
from workbench.domain import DEAL_TYPE_LABELS, DealType, PartyRole
from workbench.embeddings import Embedder
from workbench.models import (AlertEvent, AlertRule, Company, DebtInstrument, Deal, DealParty, Document,
                              RestrictedCompany)  # fmt: skip

PROFILE_FIELDS = (("name", "Name"), ("ticker", "Ticker"), ("exchange", "Exchange"), ("key", "Key"),
                  ("sector", "Sector"), ("industry", "Industry"), ("sub_industry", "Sub-industry"),
                  ("country", "Country"), ("region", "Region"), ("headquarters", "Headquarters"),
                  ("listing_status", "Listing status"), ("ownership", "Ownership"), ("sponsor", "Sponsor"),
                  ("rating", "Rating"), ("founded_year", "Founded"), ("employees", "Employees"),
                  ("currency", "Currency"), ("financials_as_of", "Financials as of"), ("source", "Source"))  # fmt: skip
# (field of company_metrics, label, Excel kind)
FINANCIALS = (("market_cap_usd_m", "Market cap ($m)", "usd_m"), ("ev_usd_m", "Enterprise value ($m)", "usd_m"),
              ("revenue_usd_m", "Revenue ($m)", "usd_m"), ("ebitda_usd_m", "EBITDA ($m)", "usd_m"),
              ("net_income_usd_m", "Net income ($m)", "usd_m"), ("total_debt_usd_m", "Total debt ($m)", "usd_m"),
              ("cash_usd_m", "Cash ($m)", "usd_m"), ("net_debt_usd_m", "Net debt ($m)", "usd_m"),
              ("revenue_growth_pct", "Revenue growth (%)", "pct_points"),
              ("ebitda_margin_pct", "EBITDA margin (%)", "pct_points"),
              ("net_margin_pct", "Net margin (%)", "pct_points"), ("ev_revenue", "EV/Revenue (x)", "multiple"),
              ("ev_ebitda", "EV/EBITDA (x)", "multiple"), ("pe_ratio", "P/E (x)", "multiple"),
              ("net_debt_to_ebitda", "Net debt / EBITDA (x)", "multiple"),
              ("dividend_yield_pct", "Dividend yield (%)", "pct_points"))  # fmt: skip
PRINCIPAL_ROLES = (PartyRole.ISSUER.value, PartyRole.TARGET.value, PartyRole.ACQUIRER.value)
DEAL_COLUMNS = ["announced_date", "role", "type", "name", "status", "size_usd_m", "enterprise_value_usd_m",
                "ev_ebitda", "key"]  # fmt: skip
DOCUMENT_COLUMNS = ["id", "doc_date", "doc_type", "title", "summary", "key_figures", "source"]
ALERT_COLUMNS = ["as_of", "rule", "rule_type", "reason"]
FACTOR_COLUMNS = ["score", "score_label", "factor", "label", "unit", "value", "normalised", "weight",
                  "contribution"]  # fmt: skip


@dataclass(frozen=True)
class TearSheet:
    company_id: int
    profile: dict[str, Any]
    description: str
    financials: pd.DataFrame  # field, label, kind, value
    debt: pd.DataFrame  # outstanding instruments, soonest maturity first
    ladder: pd.DataFrame  # year, amount_usd_m, instruments
    prices: pd.DataFrame  # date, close, company (rebased 100), sector_index (rebased 100), sector
    deals: pd.DataFrame  # DEAL_COLUMNS, newest first
    documents: pd.DataFrame  # DOCUMENT_COLUMNS, newest first
    alerts: pd.DataFrame  # ALERT_COLUMNS, open events only
    scores: pd.DataFrame  # score, label, total
    factors: pd.DataFrame  # FACTOR_COLUMNS
    as_of: dt.date
    restricted: bool
    restricted_reason: str | None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # part -> tables, filters, as-of, rows


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def deal_type_label(value: str | None) -> str:
    try:
        return DEAL_TYPE_LABELS[DealType(value)]
    except ValueError:
        return value or ""


def debt_ladder(debt: pd.DataFrame) -> pd.DataFrame:
    """Outstanding debt by year of maturity: amount ($m) and number of instruments."""
    if debt.empty:
        return pd.DataFrame(columns=["year", "amount_usd_m", "instruments"])
    years = pd.to_datetime(debt["maturity_date"]).dt.year
    out = debt.assign(year=years).groupby("year").agg(amount_usd_m=("amount_usd_m", "sum"),
                                                      instruments=("amount_usd_m", "size"))  # fmt: skip
    return out.reset_index()


def _debt(session: Session, company_id: int, as_of: dt.date) -> pd.DataFrame:
    rows = session.execute(
        select(DebtInstrument.instrument, DebtInstrument.amount_usd_m, DebtInstrument.currency,
               DebtInstrument.coupon_pct, DebtInstrument.issue_date, DebtInstrument.maturity_date,
               DebtInstrument.seniority, DebtInstrument.secured)
        .where(DebtInstrument.company_id == company_id, DebtInstrument.maturity_date >= as_of)
        .order_by(DebtInstrument.maturity_date, DebtInstrument.id)
    ).all()  # fmt: skip
    return pd.DataFrame([tuple(r) for r in rows], columns=["instrument", "amount_usd_m", "currency", "coupon_pct",
                                                           "issue_date", "maturity_date", "seniority", "secured"])  # fmt: skip


def _deals(session: Session, company_id: int, viewer: Viewer, limit: int) -> pd.DataFrame:
    rows = session.execute(
        select(Deal.announced_date, DealParty.role, Deal.deal_type, Deal.name, Deal.status, Deal.size_usd_m,
               Deal.enterprise_value_usd_m, Deal.ev_ebitda, Deal.key)
        .join(DealParty, DealParty.deal_id == Deal.id)
        .where(DealParty.company_id == company_id, DealParty.role.in_(PRINCIPAL_ROLES), visible(viewer, Deal.team_id))
        .order_by(Deal.announced_date.desc().nulls_last(), Deal.id.desc()).limit(limit)
    ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[c if c != "type" else "deal_type" for c in DEAL_COLUMNS])
    frame["type"] = frame["deal_type"].map(deal_type_label)
    return frame[DEAL_COLUMNS]


def _documents(session: Session, company_id: int, viewer: Viewer, limit: int) -> pd.DataFrame:
    rows = session.execute(
        select(Document.id, Document.doc_date, Document.doc_type, Document.title, Document.source)
        .where(Document.company_id == company_id, visible(viewer, Document.team_id))
        .order_by(Document.doc_date.desc().nulls_last(), Document.id.desc()).limit(limit)
    ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "doc_date", "doc_type", "title", "source"])
    frame["summary"] = ""
    frame["key_figures"] = 0
    return frame[DOCUMENT_COLUMNS]


def _alerts(session: Session, company_id: int, viewer: Viewer) -> pd.DataFrame:
    # Events that point at a private deal or document the viewer may not see are left out.
    rows = session.execute(
        select(AlertEvent.as_of, AlertRule.name, AlertRule.rule_type, AlertEvent.reason)
        .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
        .outerjoin(Deal, Deal.id == AlertEvent.deal_id)
        .outerjoin(Document, Document.id == AlertEvent.document_id)
        .where(AlertEvent.company_id == company_id, AlertEvent.acknowledged_at.is_(None),
               visible(viewer, Deal.team_id), visible(viewer, Document.team_id))
        .order_by(AlertEvent.as_of.desc(), AlertEvent.id.desc()).limit(50)
    ).all()  # fmt: skip
    return pd.DataFrame([tuple(r) for r in rows], columns=ALERT_COLUMNS)


def _scores(session: Session, company_id: int, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every propensity score of the company with its factors, exactly as a screen computes them."""
    from services.propensity import SCORES, effective_weights, score_rows
    from services.screening import build_feature_frame

    frame = build_feature_frame(session, as_of, where=Company.id == company_id)
    idx = np.arange(len(frame))
    totals, factors = [], []
    for score in SCORES.values():
        weights = effective_weights(score)
        breakdown = score_rows(score, frame, idx, weights)
        if not len(idx):
            continue
        totals.append({"score": score.name, "label": score.label, "total": float(breakdown.total[0])})
        for j, factor in enumerate(score.factors):
            factors.append({"score": score.name, "score_label": score.label, "factor": factor.name,
                            "label": factor.label, "unit": factor.unit, "value": float(breakdown.values[j][0]),
                            "normalised": float(breakdown.normalised[j][0]), "weight": weights[factor.name],
                            "contribution": float(breakdown.contributions[j][0])})  # fmt: skip
    return (pd.DataFrame(totals, columns=["score", "label", "total"]),
            pd.DataFrame(factors, columns=FACTOR_COLUMNS))  # fmt: skip


def _summaries(documents: pd.DataFrame, *, session_factory: sessionmaker[Session], embedder: Embedder,
               sentences: int, viewer: Viewer) -> pd.DataFrame:  # fmt: skip
    from services.documents import summarize_document

    out = documents.copy()
    for i, doc_id in enumerate(out["id"]):
        summary = summarize_document(int(doc_id), session_factory=session_factory, embedder=embedder,
                                     max_sentences=sentences, viewer=viewer)  # fmt: skip
        ordered = sorted(summary.sentences, key=lambda s: s.start)  # in reading order
        out.at[out.index[i], "summary"] = " ".join(s.text for s in ordered)
        out.at[out.index[i], "key_figures"] = len(summary.key_figures)
    return out


def build_tear_sheet(company: str | int, *, session_factory: sessionmaker[Session], embedder: Embedder | None = None,
                     viewer: Viewer = PUBLIC, as_of: dt.date | None = None, price_days: int = 365,
                     deal_limit: int = 10, document_limit: int = 5, summary_sentences: int = 3) -> TearSheet:  # fmt: skip
    """Everything a banker reads about one company before a meeting, as of a date.

    ``as_of`` defaults to the newest price date in the store. Document summaries need an
    ``embedder``; without one the documents are listed unsummarised.
    """
    as_of = as_of or latest_price_date(session_factory=session_factory) or dt.date.today()
    with session_factory() as session:
        row = resolve_company(session, company)
        company_id = row.id
        facts = company_metrics(companies_by_ids(session, [company_id])).iloc[0]
        profile = {f: _plain(getattr(row, f)) for f, _ in PROFILE_FIELDS}
        description = row.description or ""
        debt = _debt(session, company_id, as_of)
        deals = _deals(session, company_id, viewer, deal_limit)
        documents = _documents(session, company_id, viewer, document_limit)
        alerts = _alerts(session, company_id, viewer)
        scores, factors = _scores(session, company_id, as_of)
        restricted = company_id in restricted_company_ids(session)
        reason = session.scalar(select(RestrictedCompany.reason).where(RestrictedCompany.company_id == company_id))
    financials = pd.DataFrame([{"field": f, "label": label, "kind": kind, "value": facts[f]}
                               for f, label, kind in FINANCIALS])  # fmt: skip
    financials["value"] = pd.to_numeric(financials["value"], errors="coerce").astype("float64")
    prices = price_vs_sector(company_id, session_factory=session_factory,
                             start=as_of - dt.timedelta(days=price_days), end=as_of)  # fmt: skip
    if embedder is not None and len(documents):
        documents = _summaries(documents, session_factory=session_factory, embedder=embedder,
                               sentences=summary_sentences, viewer=viewer)  # fmt: skip
    price_dates = [d for d in prices.get("date", []) if isinstance(d, dt.date)]
    sources = {
        "profile": {"tables": "companies", "filter": f"id = {company_id}", "as_of": profile["financials_as_of"],
                    "rows": 1},
        "financials": {"tables": "companies", "filter": f"id = {company_id}; EV = market cap + net debt",
                       "as_of": profile["financials_as_of"], "rows": 1},
        "debt": {"tables": "debt_instruments", "filter": f"company_id = {company_id}, maturity >= {as_of}",
                 "as_of": as_of, "rows": len(debt)},
        "prices": {"tables": "prices, companies",
                   "filter": f"company_id = {company_id} and sector {profile['sector']!r} members (equal-weight index)",
                   "as_of": max(price_dates) if price_dates else None, "rows": len(prices)},
        "deals": {"tables": "deals, deal_parties",
                  "filter": f"company as {', '.join(PRINCIPAL_ROLES)}; newest {deal_limit}; barriers of {viewer.user}",
                  "as_of": deals["announced_date"].max() if len(deals) else None, "rows": len(deals)},
        "documents": {"tables": "documents",
                      "filter": f"company_id = {company_id}; newest {document_limit}; barriers of {viewer.user}",
                      "as_of": documents["doc_date"].max() if len(documents) else None, "rows": len(documents)},
        "alerts": {"tables": "alert_events, alert_rules", "filter": f"company_id = {company_id}, not acknowledged",
                   "as_of": alerts["as_of"].max() if len(alerts) else None, "rows": len(alerts)},
        "scores": {"tables": "companies, debt_instruments, deals, deal_parties, prices",
                   "filter": f"company_id = {company_id}; default weights", "as_of": as_of, "rows": len(factors)},
    }  # fmt: skip
    return TearSheet(company_id=company_id, profile=profile, description=description, financials=financials,
                     debt=debt, ladder=debt_ladder(debt), prices=prices, deals=deals, documents=documents,
                     alerts=alerts, scores=scores, factors=factors, as_of=as_of, restricted=restricted,
                     restricted_reason=reason, sources=sources)  # fmt: skip


# --- charts -------------------------------------------------------------------------------------
def debt_ladder_figure(sheet: TearSheet):
    """Debt maturing each year ($m), outstanding as of the sheet's date."""
    import plotly.express as px

    data = sheet.ladder.assign(year=sheet.ladder["year"].astype(str))
    fig = px.bar(data, x="year", y="amount_usd_m", text_auto=",.0f",
                 labels={"year": "Maturity year", "amount_usd_m": "Maturing ($m)"},
                 title=f"Debt maturity ladder, as of {sheet.as_of:%Y-%m-%d}")  # fmt: skip
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def price_figure(sheet: TearSheet):
    """Share price against the sector's equal-weight index, both rebased to 100."""
    import plotly.graph_objects as go

    fig = go.Figure()
    data = sheet.prices
    name = sheet.profile.get("ticker") or sheet.profile.get("name")
    if len(data):
        fig.add_trace(go.Scatter(x=data["date"], y=data["company"], name=str(name), mode="lines"))
        fig.add_trace(go.Scatter(x=data["date"], y=data["sector_index"], name=f"{sheet.profile.get('sector')} index",
                                 mode="lines", line={"dash": "dot"}))  # fmt: skip
    fig.update_layout(title=f"{name} vs sector (rebased to 100)", height=380, margin=dict(l=10, r=10, t=50, b=10),
                      yaxis_title="Rebased (100 = first day)", legend={"orientation": "h", "y": -0.15})  # fmt: skip
    return fig
