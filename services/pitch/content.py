"""What goes into a pitch pack, gathered once from the store: the workbook and the deck both
render this, so every number in either file is the same number, with the same provenance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from services.comps import (CompsTable, build_comps_table, explain_peers, load_peer_set, metric_stats, peer_ids,
                            propose_peers, resolve_company)  # fmt: skip
from services.precedents import (PrecedentEngine, PrecedentFilters, PrecedentQuery, multiples_table,
                                 search_precedents)  # fmt: skip
from services.tearsheet import TearSheet, build_tear_sheet
from workbench.access import PUBLIC, Viewer, visible
from workbench.domain import DealType
from workbench.embeddings import Embedder
from workbench.errors import WorkbenchError
from workbench.models import Deal
from workbench.progress import ProgressCallback, no_progress


class Situation(StrEnum):
    ECM = "ecm"
    DCM = "dcm"
    MA = "ma"

    @property
    def label(self) -> str:
        return {"ecm": "ECM (equity raise)", "dcm": "DCM (debt financing)", "ma": "M&A"}[self.value]

    @property
    def deal_types(self) -> tuple[str, ...]:
        if self is Situation.ECM:
            return tuple(t.value for t in DealType if t.is_equity)
        if self is Situation.DCM:
            return tuple(t.value for t in DealType if t.is_debt)
        return (DealType.MA.value,)

    @property
    def score(self) -> str:
        """The propensity score that speaks to this situation."""
        return {"ecm": "ecm", "dcm": "dcm", "ma": "ma_sell"}[self.value]

    @property
    def phrase(self) -> str:
        return {"ecm": "equity offering", "dcm": "bond or loan financing", "ma": "acquisition"}[self.value]


def parse_situation(value: str | Situation) -> Situation:
    try:
        return Situation(str(value).strip().lower().replace("&", "").replace("m_a", "ma"))
    except ValueError:
        raise WorkbenchError(f"situation must be ecm, dcm or ma, not {str(value)[:20]!r}") from None


PRECEDENT_TOP = 15
MIN_SECTOR_PRECEDENTS = 5
# ECM and DCM deals carry no multiples: their precedents are compared on size, coupon and tenor.
PRECEDENT_MEASURES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "ecm": (("size_usd_m", "Offering size ($m)", "usd_m"),),
    "dcm": (("size_usd_m", "Issue size ($m)", "usd_m"), ("coupon_pct", "Coupon (%)", "number"),
            ("tenor_years", "Tenor (years)", "number")),
}  # fmt: skip


@dataclass
class PitchContent:
    situation: Situation
    sheet: TearSheet
    peers: pd.DataFrame  # company_id, key, name, ticker, reason, origin, restricted
    peer_source: str
    comps: CompsTable
    precedents: pd.DataFrame  # hits with coupon, tenor and rating added
    precedent_stats: pd.DataFrame  # metric, label, kind, n, median, mean, q1, q3, low, high
    precedent_query: list[str]
    precedent_counts: dict[str, Any]
    restricted: list[tuple[str, str]]  # (name, "subject" | "peer")
    run_by: str
    run_at: dt.datetime
    store_scheme: str
    viewer: Viewer
    provenance: pd.DataFrame = field(default_factory=pd.DataFrame)  # part, tables, filter, as_of, rows

    @property
    def company(self) -> dict[str, Any]:
        return self.sheet.profile

    @property
    def title(self) -> str:
        ticker = self.company.get("ticker")
        return f"{self.company['name']}{f' ({ticker})' if ticker else ''}"


def _precedent_size(sheet: TearSheet, situation: Situation) -> float | None:
    """The deal size the precedents are ranked against (documented in the provenance)."""
    fin = sheet.financials.set_index("field")["value"]
    cap, ev, debt = fin.get("market_cap_usd_m"), fin.get("ev_usd_m"), fin.get("total_debt_usd_m")
    if situation is Situation.MA:
        value = ev if pd.notna(ev) else fin.get("revenue_usd_m")
    elif situation is Situation.ECM:
        value = 0.1 * cap if pd.notna(cap) else None  # a typical follow-on or IPO raises ~10% of the equity
    else:
        value = 0.25 * debt if pd.notna(debt) else None  # a typical issue refinances a quarter of the debt
    return float(value) if value is not None and pd.notna(value) and value > 0 else None


def _precedent_extras(session: Session, keys: list[str], viewer: Viewer) -> pd.DataFrame:
    rows = session.execute(
        select(Deal.key, Deal.coupon_pct, Deal.tenor_years, Deal.rating)
        .where(Deal.key.in_(keys), visible(viewer, Deal.team_id))
    ).all()  # fmt: skip
    return pd.DataFrame([tuple(r) for r in rows], columns=["key", "coupon_pct", "tenor_years", "rating"])


def precedent_statistics(frame: pd.DataFrame, situation: Situation) -> pd.DataFrame:
    """M&A: the precedents' multiples table; ECM/DCM: size (and coupon, tenor) statistics."""
    if situation is Situation.MA:
        table = multiples_table(frame)
        kinds = {"EV ($m)": "usd_m", "Premium (%)": "number"}
        return table.assign(label=table["metric"], kind=table["metric"].map(lambda m: kinds.get(m, "multiple")))
    rows = [{"metric": name, "label": label, "kind": kind, **metric_stats(frame.get(name, pd.Series(dtype=float)))}
            for name, label, kind in PRECEDENT_MEASURES[situation.value]]  # fmt: skip
    return pd.DataFrame(rows, columns=["metric", "label", "kind", "n", "median", "mean", "q1", "q3", "low", "high"])


def gather(company: str | int, situation: str | Situation, *, session_factory: sessionmaker[Session],
           embedder: Embedder, engine: PrecedentEngine, user: str, viewer: Viewer = PUBLIC,
           peers: list[int] | pd.DataFrame | None = None, as_of: dt.date | None = None,
           progress: ProgressCallback = no_progress) -> PitchContent:  # fmt: skip
    """Read everything the pack shows; raises before anything is written when the input is bad."""
    situation = parse_situation(situation)
    run_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with session_factory() as session:
        company_id = resolve_company(session, company).id
        scheme = make_url(str(session.get_bind().url)).drivername
    progress(0.05, "Reading the tear sheet")
    sheet = build_tear_sheet(company_id, session_factory=session_factory, embedder=embedder, viewer=viewer,
                             as_of=as_of)  # fmt: skip
    progress(0.25, "Choosing the peers")
    if isinstance(peers, pd.DataFrame):
        peer_frame = peers
        peer_source = f"as shown on the Company page to {user}"
    elif peers is not None:
        peer_frame = explain_peers(company_id, peers, session_factory=session_factory, embedder=embedder)
        peer_source = f"chosen for this pack by {user}"
    else:
        saved = load_peer_set(company_id, session_factory=session_factory)
        if saved is not None and len(saved.peers):
            peer_frame = saved.peers
            peer_source = f"saved peer set (by {saved.saved_by}, {saved.saved_at:%Y-%m-%d %H:%M} UTC)"
        else:
            proposal = propose_peers(company_id, session_factory=session_factory, embedder=embedder, viewer=viewer)
            peer_frame = proposal.peers
            peer_source = f"proposed from {proposal.candidates:,} candidates of {proposal.universe:,} listed companies"
    if not len(peer_frame):
        raise WorkbenchError(f"no listed peers found for {sheet.profile['name']}: add peers on the Company page")
    comps = build_comps_table(company_id, peer_ids(peer_frame), session_factory=session_factory, viewer=viewer)
    # names, tickers and restricted flags as the comps table read them just now
    facts = comps.peers[["company_id", "key", "name", "ticker", "restricted"]]
    why = peer_frame[["company_id", "reason", "origin"]].drop_duplicates("company_id")
    peer_frame = facts.merge(why, on="company_id", how="left")

    progress(0.4, "Finding precedent transactions")
    profile = sheet.profile
    where = ", ".join(v for v in (profile.get("sub_industry"), profile.get("industry"), profile.get("sector"),
                                  profile.get("region")) if v)  # fmt: skip
    text = f"{situation.phrase} by a company in {where}" if where else situation.phrase
    sectors = (profile["sector"],) if profile.get("sector") else ()
    size = _precedent_size(sheet, situation)
    query = PrecedentQuery(text=text, filters=PrecedentFilters(deal_types=situation.deal_types, sectors=sectors),
                           top=PRECEDENT_TOP, target_sector=profile.get("sector"), target_size_usd_m=size)  # fmt: skip
    result = search_precedents(query, session_factory=session_factory, embedder=embedder, engine=engine,
                               viewer=viewer)  # fmt: skip
    if sectors and result.matched < MIN_SECTOR_PRECEDENTS:
        # A thin sector: rank every deal of the type, the sector still counting as a part of the score.
        query = PrecedentQuery(text=text, filters=PrecedentFilters(deal_types=situation.deal_types),
                               top=PRECEDENT_TOP, target_sector=profile.get("sector"), target_size_usd_m=size)  # fmt: skip
        result = search_precedents(query, session_factory=session_factory, embedder=embedder, engine=engine,
                                   viewer=viewer)  # fmt: skip
    hits = result.hits.copy()
    with session_factory() as session:
        extras = _precedent_extras(session, hits["key"].tolist(), viewer) if len(hits) else None
    if extras is not None:
        hits = hits[hits["key"].isin(set(extras["key"]))].merge(extras, on="key", how="left")
    else:
        hits = hits.assign(coupon_pct=np.nan, tenor_years=np.nan, rating=None)
    stats = precedent_statistics(hits, situation)
    counts = {"universe": result.universe, "matched": result.matched, "shown": len(hits),
              "index": result.index_kind, "target_size_usd_m": size}  # fmt: skip

    restricted = [(str(profile["name"]), "subject")] if sheet.restricted else []
    restricted += [(str(n), "peer") for n in comps.rows.loc[(comps.rows["role"] == "peer") & comps.rows["restricted"],
                                                              "name"]]  # fmt: skip
    content = PitchContent(situation=situation, sheet=sheet, peers=peer_frame, peer_source=peer_source, comps=comps,
                           precedents=hits, precedent_stats=stats, precedent_query=result.describe(),
                           precedent_counts=counts, restricted=restricted, run_by=user, run_at=run_at,
                           store_scheme=scheme, viewer=viewer)  # fmt: skip
    content.provenance = provenance_rows(content)
    return content


def provenance_rows(content: PitchContent) -> pd.DataFrame:
    """One row per table of the pack: where it came from, how it was filtered, as of when, how many rows."""
    src = content.sheet.sources
    comps = content.comps
    rows = [
        ("Tear sheet: profile", src["profile"]),
        ("Tear sheet: key financials", src["financials"]),
        ("Propensity scores", src["scores"]),
        ("Trading comparables", {
            "tables": "companies, peer_sets" if "saved" in content.peer_source else "companies, company_embeddings",
            "filter": f"subject + {len(comps.peers)} peers ({content.peer_source}); statistics over the peers only",
            "as_of": comps.as_of, "rows": len(comps.rows)}),
        ("Precedent transactions", {
            "tables": "deals, deal_embeddings", "filter": "; ".join(content.precedent_query)
            + f"; top {PRECEDENT_TOP} of {content.precedent_counts['matched']:,} matching deals; "
            f"barriers of {content.viewer.user}",
            "as_of": content.precedents["announced_date"].max() if len(content.precedents) else None,
            "rows": len(content.precedents)}),
        ("Debt maturity ladder", src["debt"]),
        ("Share price vs sector", src["prices"]),
        ("Recent deals", src["deals"]),
        ("Documents", src["documents"]),
        ("Open alerts", src["alerts"]),
    ]  # fmt: skip
    out = []
    for part, info in rows:
        as_of = info.get("as_of")
        if isinstance(as_of, pd.Timestamp):
            as_of = as_of.date()
        out.append({"part": part, "tables": info["tables"], "filter": info["filter"],
                    "as_of": as_of if isinstance(as_of, dt.date) else None, "rows": int(info["rows"])})  # fmt: skip
    return pd.DataFrame(out, columns=["part", "tables", "filter", "as_of", "rows"])
