"""Trading comparables: a proposed peer set with reasons, saved peer sets, the comps table.

**Proposal.** Candidates are listed companies (a market cap in the store). They are read
from SQL in widening bands, each capped at ``MAX_CANDIDATES`` nearest in size, so the work
does not grow with the universe: the same sector within 3x the subject's size (an index
range scan on sector and market cap), then the same sector at any size, then other sectors
within 3x. A private subject (no market cap) is sized by revenue instead. Each candidate is
scored on four parts, each 0..1:

    industry     1 same sub-industry, 0.8 same industry, 0.4 same sector, 0 otherwise
    size         1 - |log10(candidate size / subject size)|, floored at 0 (0 at 10x apart)
    region       1 same country, 0.7 same region, 0 otherwise
    description  cosine similarity of the stored description vectors, floored at 0

    score = 100 * sum(weight * part) / sum(weights of the parts available)

A company without a stored description vector (not yet embedded: ``workbench index
--companies``) is scored on structure alone, and its reason says so.

**Comps table.** Metrics from the store's figures (``companies``, $m, as of each company's
``financials_as_of``): EV = market cap + net debt (net debt = total debt - cash where not
stated); EV/Revenue and EV/EBITDA where the denominator is positive; P/E as stored; growth
and margins in %; leverage = net debt / EBITDA. Statistics (median, mean, quartiles, low,
high) are over the peers, never the subject, and the subject is placed against them.

Weights (``DEFAULT_WEIGHTS``): industry 0.3, size 0.3, region 0.1, description 0.3; size
counts as much as industry because a $200m company rarely trades like a $10bn one.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from services.company_embeddings import TEXT_COLUMNS as EMBEDDED_COLUMNS
from services.company_embeddings import company_text, load_company_vectors
from services.deal_embeddings import text_sha256
from workbench import audit
from workbench.access import PUBLIC, Viewer, restricted_company_ids
from workbench.embeddings import Embedder
from workbench.errors import WorkbenchError
from workbench.models import Company, CompanyEmbedding, PeerSet

PARTS = ("industry", "size", "region", "description")
PART_LABELS = {"industry": "Sector / industry", "size": "Size", "region": "Region", "description": "Description"}
DEFAULT_WEIGHTS = {"industry": 0.30, "size": 0.30, "region": 0.10, "description": 0.30}
MAX_CANDIDATES = 1000
SIZE_BAND = 3.0
DEFAULT_TOP = 10
MAX_PEERS = 50
MAX_REASON = 500

COMPANY_COLUMNS = ("id", "key", "name", "ticker", "sector", "industry", "sub_industry", "region", "country",
                   "listing_status", "currency", "market_cap_usd_m", "revenue_usd_m", "ebitda_usd_m",
                   "net_income_usd_m", "total_debt_usd_m", "cash_usd_m", "net_debt_usd_m", "revenue_growth_pct",
                   "ebitda_margin_pct", "pe_ratio", "dividend_yield_pct", "financials_as_of", "source")  # fmt: skip
PEER_COLUMNS = ["rank", "company_id", "key", "name", "ticker", "sector", "industry", "region", "country",
                "market_cap_usd_m", "revenue_usd_m", "score", *(f"part_{p}" for p in PARTS), "similarity",
                "basis", "reason", "restricted", "origin"]  # fmt: skip


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: str  # an Excel kind of workbench.excel: usd_m, multiple, pct_points


# The comps table's measures, in column order.
METRICS: tuple[Metric, ...] = (
    Metric("market_cap_usd_m", "Market cap ($m)", "usd_m"),
    Metric("ev_usd_m", "EV ($m)", "usd_m"),
    Metric("ev_revenue", "EV/Revenue (x)", "multiple"),
    Metric("ev_ebitda", "EV/EBITDA (x)", "multiple"),
    Metric("pe_ratio", "P/E (x)", "multiple"),
    Metric("revenue_growth_pct", "Revenue growth (%)", "pct_points"),
    Metric("ebitda_margin_pct", "EBITDA margin (%)", "pct_points"),
    Metric("net_margin_pct", "Net margin (%)", "pct_points"),
    Metric("net_debt_to_ebitda", "Net debt / EBITDA (x)", "multiple"),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}


# --- reading companies ----------------------------------------------------------------------
def _frame(rows: Sequence[Any]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(COMPANY_COLUMNS))
    for col in COMPANY_COLUMNS:
        if col.endswith(("_usd_m", "_pct", "_ratio")):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


def _select_companies() -> Any:
    return select(*(getattr(Company, c) for c in COMPANY_COLUMNS))


def resolve_company(session: Session, ref: str | int) -> Company:
    """A company by id, ticker (case-insensitive) or key; a clear error when none or several."""
    if isinstance(ref, int):
        company = session.get(Company, ref)
        if company is None:
            raise WorkbenchError(f"no company with id {ref}")
        return company
    value = str(ref).strip()
    if not value:
        raise WorkbenchError("name a company by ticker or key")
    by_key = session.scalars(select(Company).where(Company.key == value)).one_or_none()
    if by_key is not None:
        return by_key
    matches = session.scalars(
        select(Company).where(func.upper(Company.ticker) == value.upper()).order_by(Company.id).limit(6)
    ).all()  # fmt: skip
    if not matches:
        raise WorkbenchError(f"no company with ticker or key {value[:40]!r}")
    listed = [c for c in matches if c.market_cap_usd_m is not None]
    if len(matches) > 1 and len(listed) != 1:
        keys = ", ".join(c.key for c in matches[:5])
        raise WorkbenchError(f"ticker {value[:40]!r} names several companies ({keys}); use the key")
    return listed[0] if len(matches) > 1 else matches[0]


def companies_by_ids(session: Session, ids: Sequence[int]) -> pd.DataFrame:
    """Companies' facts in the order of ``ids`` (ids not in the store are left out)."""
    if not ids:
        return _frame([])
    rows = session.execute(_select_companies().where(Company.id.in_(list(ids)))).all()
    frame = _frame(rows)
    order = {int(c): i for i, c in enumerate(ids)}
    frame["_order"] = frame["id"].map(order)
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)


# --- metrics --------------------------------------------------------------------------------
def company_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """The comps measures of each company row (see the module docstring for definitions)."""
    out = frame.copy()
    for col in ("market_cap_usd_m", "net_debt_usd_m", "total_debt_usd_m", "cash_usd_m", "revenue_usd_m",
                "ebitda_usd_m", "net_income_usd_m", "ebitda_margin_pct"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    cap = out["market_cap_usd_m"]
    net_debt = out["net_debt_usd_m"].fillna(out["total_debt_usd_m"] - out["cash_usd_m"])
    out["net_debt_usd_m"] = net_debt
    out["ev_usd_m"] = cap + net_debt
    revenue, ebitda, income = out["revenue_usd_m"], out["ebitda_usd_m"], out["net_income_usd_m"]
    out["ev_revenue"] = (out["ev_usd_m"] / revenue).where(revenue > 0)
    out["ev_ebitda"] = (out["ev_usd_m"] / ebitda).where(ebitda > 0)
    out["ebitda_margin_pct"] = out["ebitda_margin_pct"].fillna((ebitda / revenue * 100).where(revenue > 0))
    out["net_margin_pct"] = (income / revenue * 100).where(revenue > 0)
    out["net_debt_to_ebitda"] = (net_debt / ebitda).where(ebitda > 0)
    return out


def metric_stats(values: pd.Series) -> dict[str, float]:
    """n, median, mean, quartiles (25th/75th percentile, linear), low and high of the known values."""
    known = pd.to_numeric(values, errors="coerce").replace([np.inf, -np.inf], np.nan).dropna()
    if known.empty:
        return {"n": 0, "median": np.nan, "mean": np.nan, "q1": np.nan, "q3": np.nan, "low": np.nan, "high": np.nan}
    return {"n": int(len(known)), "median": float(known.median()), "mean": float(known.mean()),
            "q1": float(known.quantile(0.25)), "q3": float(known.quantile(0.75)),
            "low": float(known.min()), "high": float(known.max())}  # fmt: skip


# --- proposing peers --------------------------------------------------------------------------
@dataclass(frozen=True)
class PeerProposal:
    subject: dict[str, Any]
    peers: pd.DataFrame  # PEER_COLUMNS, best first
    candidates: int  # companies scored
    universe: int  # listed companies in the store
    subject_embedded: bool
    model_name: str | None
    timings_ms: dict[str, float] = field(default_factory=dict)


def _size_column(subject: pd.Series) -> str:
    cap = subject["market_cap_usd_m"]
    return "market_cap_usd_m" if isinstance(cap, float) and cap > 0 else "revenue_usd_m"


def _band_rows(session: Session, subject: pd.Series, size_col: str, *, same_sector: bool, band: float | None,
               exclude: set[int], limit: int) -> list[Any]:  # fmt: skip
    """Up to ``limit`` candidates, nearest in size first.

    The ids are ranked first, from the (sector, market cap) index alone; only the chosen
    ids' rows are then read. Ranking whole rows would read every company of the band.
    """
    size = float(subject[size_col]) if pd.notna(subject[size_col]) and subject[size_col] > 0 else None
    col = getattr(Company, size_col)
    where = [Company.market_cap_usd_m > 0, Company.id != int(subject["id"])]
    sector = subject["sector"]
    if same_sector:
        where.append(Company.sector == sector if sector else Company.sector.is_(None))
    elif sector:
        where.append((Company.sector != sector) | Company.sector.is_(None))
    if exclude:
        # only ids already taken by a narrower band; a few hundred at most
        where.append(Company.id.not_in(sorted(exclude)))
    if size is not None:
        if band is not None:
            where.append(col.between(size / band, size * band))
        where.append(col > 0)
        # nearest in size first: the ratio larger/smaller orders like |log(size ratio)|
        order = [case((col >= size, col / size), else_=size / col), Company.id]
    else:
        order = [Company.market_cap_usd_m.desc(), Company.id]
    chosen = select(Company.id).where(*where).order_by(*order).limit(limit).subquery()
    stmt = _select_companies().where(Company.id.in_(select(chosen.c.id))).order_by(*order)
    return list(session.execute(stmt).all())


def _candidates(session: Session, subject: pd.Series, top: int) -> pd.DataFrame:
    size_col = _size_column(subject)
    rows = _band_rows(session, subject, size_col, same_sector=True, band=SIZE_BAND, exclude=set(),
                      limit=MAX_CANDIDATES)  # fmt: skip
    if len(rows) < max(3 * top, 30):
        taken = {r[0] for r in rows}
        rows += _band_rows(session, subject, size_col, same_sector=True, band=None, exclude=taken,
                           limit=MAX_CANDIDATES - len(rows))  # fmt: skip
    if len(rows) < top:
        taken = {r[0] for r in rows}
        rows += _band_rows(session, subject, size_col, same_sector=False, band=SIZE_BAND, exclude=taken,
                           limit=max(3 * top, 30))  # fmt: skip
    return _frame(rows)


def _eq(a: Any, values: np.ndarray) -> np.ndarray:
    if not isinstance(a, str) or not a:
        return np.zeros(len(values), dtype=bool)
    return np.array([isinstance(v, str) and v == a for v in values], dtype=bool)


def _fmt_money(value: float) -> str:
    return f"${value / 1000:,.1f}bn" if abs(value) >= 1000 else f"${value:,.0f}m"


def _subject_vector(session: Session, subject: pd.Series, embedder: Embedder | None) -> np.ndarray | None:
    """The subject's stored vector; embedded on the fly (not stored) when missing or stale and an embedder is given."""
    if embedder is None:
        return None
    facts = session.execute(select(*(getattr(Company, c) for c in EMBEDDED_COLUMNS))
                            .where(Company.id == int(subject["id"]))).one()  # fmt: skip
    text = company_text(dict(zip(EMBEDDED_COLUMNS, facts)))
    row = session.execute(
        select(CompanyEmbedding.vector, CompanyEmbedding.text_sha256)
        .where(CompanyEmbedding.company_id == int(subject["id"]), CompanyEmbedding.model_name == embedder.name,
               CompanyEmbedding.dimension == embedder.dimension)
    ).one_or_none()  # fmt: skip
    if row is not None and row[1] == text_sha256(text):
        return np.frombuffer(bytes(row[0]), dtype="<f4", count=embedder.dimension).astype(np.float32)
    return np.asarray(embedder.encode([text])[0], dtype=np.float32)


def score_peers(subject: pd.Series, candidates: pd.DataFrame, *, subject_vector: np.ndarray | None,
                vectors: dict[int, np.ndarray], weights: dict[str, float] | None = None,
                top: int | None = None) -> pd.DataFrame:  # fmt: skip
    """The ``top`` best candidates (all when None) with their parts, score (0-100) and reason, best first.

    Pure (no I/O). Parts are computed for every candidate at once; reasons only for those kept.
    """
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    n = len(candidates)
    if n == 0:
        return pd.DataFrame(columns=PEER_COLUMNS)
    sub_ind = _eq(subject["sub_industry"], candidates["sub_industry"].to_numpy(object))
    ind = _eq(subject["industry"], candidates["industry"].to_numpy(object))
    sec = _eq(subject["sector"], candidates["sector"].to_numpy(object))
    industry = np.where(sub_ind, 1.0, np.where(ind, 0.8, np.where(sec, 0.4, 0.0)))
    size_col = _size_column(subject)
    subject_size = subject[size_col]
    sizes = candidates[size_col].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = sizes / float(subject_size) if pd.notna(subject_size) and subject_size > 0 else np.full(n, np.nan)
        size = np.clip(1.0 - np.abs(np.log10(ratio)), 0.0, 1.0)
    size = np.where(np.isfinite(size), size, 0.0)
    country = _eq(subject["country"], candidates["country"].to_numpy(object))
    region_eq = _eq(subject["region"], candidates["region"].to_numpy(object))
    region = np.where(country, 1.0, np.where(region_eq, 0.7, 0.0))
    similarity = np.full(n, np.nan)
    if subject_vector is not None and vectors:
        ids = candidates["id"].to_numpy()
        found = np.flatnonzero([int(c) in vectors for c in ids])
        if len(found):
            matrix = np.stack([vectors[int(ids[i])] for i in found])
            similarity[found] = matrix @ np.asarray(subject_vector, dtype=np.float32)
    has_text = ~np.isnan(similarity)
    description = np.where(has_text, np.clip(similarity, 0.0, 1.0), 0.0)
    structure_w = weights["industry"] + weights["size"] + weights["region"]
    points = weights["industry"] * industry + weights["size"] * size + weights["region"] * region
    total_w = np.where(has_text, structure_w + weights["description"], structure_w)
    score = 100.0 * (points + np.where(has_text, weights["description"] * description, 0.0)) / total_w
    order = np.lexsort((candidates["id"].to_numpy(), -score))  # best first, then by id
    keep = order[:top] if top is not None else order
    out = candidates.iloc[keep].rename(columns={"id": "company_id"}).reset_index(drop=True)
    out["part_industry"], out["part_size"], out["part_region"] = industry[keep], size[keep], region[keep]
    out["part_description"] = np.where(has_text[keep], description[keep], np.nan)
    out["similarity"], out["score"] = similarity[keep], score[keep]
    out["basis"] = np.where(has_text[keep], "description + structure", "structure only")
    reasons = []
    for rec, i in zip(out.itertuples(index=False), keep):
        parts = []
        if sub_ind[i]:
            parts.append(f"same sub-industry ({rec.sub_industry})")
        elif ind[i]:
            parts.append(f"same industry ({rec.industry})")
        elif sec[i]:
            parts.append(f"same sector ({rec.sector})")
        else:
            parts.append(f"other sector ({rec.sector or 'none'})")
        if np.isfinite(ratio[i]):
            what = "market cap" if size_col == "market_cap_usd_m" else "revenue"
            parts.append(f"{what} {_fmt_money(sizes[i])} vs {_fmt_money(float(subject_size))} ({ratio[i]:.2g}x)")
        if country[i]:
            parts.append(f"same country ({rec.country})")
        elif region_eq[i]:
            parts.append(f"same region ({rec.region})")
        if has_text[i]:
            parts.append(f"description similarity {similarity[i]:.2f}")
        elif subject_vector is None:
            parts.append(f"structure only: {subject['name']} has no description embedding yet")
        else:
            parts.append("structure only: description not embedded yet")
        text = "; ".join(parts)
        reasons.append((text[:1].upper() + text[1:])[:MAX_REASON])
    out["reason"] = reasons
    out["rank"] = np.arange(1, len(out) + 1)
    out["restricted"] = False
    out["origin"] = "proposed"
    return out[PEER_COLUMNS]


def _universe(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Company).where(Company.market_cap_usd_m > 0)) or 0)


def propose_peers(company: str | int, *, session_factory: sessionmaker[Session], embedder: Embedder | None = None,
                  top: int = DEFAULT_TOP, weights: dict[str, float] | None = None,
                  viewer: Viewer = PUBLIC) -> PeerProposal:  # fmt: skip
    """The ``top`` listed companies most like ``company`` (ticker, key or id), each with its reason.

    Companies carry no information barrier; ``viewer`` is accepted so every pitch service
    takes the same arguments, and restricted-list peers are flagged, not hidden.
    """
    if not isinstance(top, int) or not 1 <= top <= MAX_PEERS:
        raise WorkbenchError(f"top must be a whole number from 1 to {MAX_PEERS}, not {top!r}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with session_factory() as session:
        subject_row = resolve_company(session, company)
        subject = companies_by_ids(session, [subject_row.id]).iloc[0]
        candidates = _candidates(session, subject, top)
        timings["candidates"] = (time.perf_counter() - t0) * 1000
        t = time.perf_counter()
        vector = _subject_vector(session, subject, embedder)
        vectors = {}
        if vector is not None and embedder is not None and len(candidates):
            vectors = load_company_vectors(session, candidates["id"].tolist(), model_name=embedder.name,
                                           dimension=embedder.dimension)  # fmt: skip
        timings["vectors"] = (time.perf_counter() - t) * 1000
        restricted = restricted_company_ids(session)
        universe = _universe(session)
    t = time.perf_counter()
    scored = score_peers(subject, candidates, subject_vector=vector, vectors=vectors, weights=weights, top=top)
    scored["restricted"] = scored["company_id"].isin(restricted)
    timings["score"] = (time.perf_counter() - t) * 1000
    timings["total"] = (time.perf_counter() - t0) * 1000
    info = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in subject.to_dict().items()}
    info["restricted"] = int(subject["id"]) in restricted
    return PeerProposal(subject=info, peers=scored.reset_index(drop=True), candidates=len(candidates),
                        universe=universe, subject_embedded=vector is not None,
                        model_name=embedder.name if embedder else None, timings_ms=timings)  # fmt: skip


def explain_peers(company: str | int, peer_ids: Sequence[int], *, session_factory: sessionmaker[Session],
                  embedder: Embedder | None = None, origin: str = "added") -> pd.DataFrame:  # fmt: skip
    """Score and explain peers chosen by hand, the same way a proposal would (in the given order)."""
    with session_factory() as session:
        subject_row = resolve_company(session, company)
        subject = companies_by_ids(session, [subject_row.id]).iloc[0]
        ids = [int(i) for i in dict.fromkeys(peer_ids) if int(i) != subject_row.id]
        frame = companies_by_ids(session, ids)
        vector = _subject_vector(session, subject, embedder)
        vectors = {}
        if vector is not None and embedder is not None and len(frame):
            vectors = load_company_vectors(session, ids, model_name=embedder.name, dimension=embedder.dimension)
        restricted = restricted_company_ids(session)
    scored = score_peers(subject, frame, subject_vector=vector, vectors=vectors)
    order = {cid: i for i, cid in enumerate(ids)}
    scored = scored.sort_values("company_id", key=lambda s: s.map(order)).reset_index(drop=True)
    scored["rank"] = np.arange(1, len(scored) + 1)
    scored["origin"] = origin
    scored["restricted"] = scored["company_id"].isin(restricted)
    return scored


# --- saved peer sets --------------------------------------------------------------------------
@dataclass(frozen=True)
class SavedPeerSet:
    company_id: int
    peers: pd.DataFrame  # company_id, key, name, ticker, reason, origin, restricted
    saved_by: str
    saved_at: dt.datetime
    missing: int  # peers saved earlier whose company is no longer in the store


def save_peer_set(company: str | int, peers: pd.DataFrame | Sequence[dict[str, Any]], *,
                  session_factory: sessionmaker[Session], user: str) -> SavedPeerSet:  # fmt: skip
    """Save (replace) a company's peer set: ``peers`` rows need company_id and reason, origin optional.

    Rejected whole, with nothing written, when a peer is unknown, repeated or the company itself.
    """
    records = peers.to_dict("records") if isinstance(peers, pd.DataFrame) else [dict(p) for p in peers]
    if not records:
        raise WorkbenchError("a peer set needs at least one peer")
    if len(records) > MAX_PEERS:
        raise WorkbenchError(f"a peer set holds at most {MAX_PEERS} peers ({len(records)} given)")
    with session_factory.begin() as session:
        subject = resolve_company(session, company)
        seen: set[int] = set()
        clean = []
        for number, rec in enumerate(records, start=1):
            try:
                cid = int(rec["company_id"])
            except (KeyError, TypeError, ValueError):
                raise WorkbenchError(f"peer {number}: company_id must be a company id") from None
            if cid == subject.id:
                raise WorkbenchError(f"peer {number}: {subject.name} cannot be its own peer")
            if cid in seen:
                raise WorkbenchError(f"peer {number}: company id {cid} is listed twice")
            seen.add(cid)
            reason = rec.get("reason")
            reason = reason.strip()[:MAX_REASON] if isinstance(reason, str) and reason.strip() else "added by hand"
            origin = rec.get("origin") if rec.get("origin") in ("proposed", "added") else "added"
            clean.append({"company_id": cid, "reason": reason, "origin": origin})
        found = dict(session.execute(select(Company.id, Company.key).where(Company.id.in_(sorted(seen)))).all())
        unknown = [c["company_id"] for c in clean if c["company_id"] not in found]
        if unknown:
            raise WorkbenchError(f"no company with id {', '.join(map(str, unknown[:5]))}: peer set not saved")
        for c in clean:
            c["key"] = found[c["company_id"]]
        row = session.scalars(select(PeerSet).where(PeerSet.company_id == subject.id)).one_or_none()
        now = dt.datetime.now(dt.UTC)
        if row is None:
            session.add(PeerSet(company_id=subject.id, peers=clean, saved_by=user, saved_at=now))
        else:
            row.peers, row.saved_by, row.saved_at = clean, user, now
        audit.record(session, user=user, action="save", object_type="peer_set", object_ref=subject.key[:400],
                     row_count=len(clean), details={"peers": [c["key"] for c in clean]})  # fmt: skip
        subject_id = subject.id
    saved = load_peer_set(subject_id, session_factory=session_factory)
    assert saved is not None
    return saved


def load_peer_set(company: str | int, *, session_factory: sessionmaker[Session]) -> SavedPeerSet | None:
    """A company's saved peer set, or None. Peers deleted from the store since are counted, not shown."""
    with session_factory() as session:
        subject = resolve_company(session, company)
        row = session.scalars(select(PeerSet).where(PeerSet.company_id == subject.id)).one_or_none()
        if row is None:
            return None
        entries = [p for p in row.peers if isinstance(p, dict) and "company_id" in p]
        ids = [int(p["company_id"]) for p in entries]
        facts = companies_by_ids(session, ids).set_index("id")
        restricted = restricted_company_ids(session)
        saved_by, saved_at = row.saved_by, row.saved_at
    kept = []
    for p in entries:
        cid = int(p["company_id"])
        if cid in facts.index:
            f = facts.loc[cid]
            kept.append({"company_id": cid, "key": f["key"], "name": f["name"], "ticker": f["ticker"],
                         "reason": p.get("reason") or "", "origin": p.get("origin") or "added",
                         "restricted": cid in restricted})  # fmt: skip
    frame = pd.DataFrame(kept, columns=["company_id", "key", "name", "ticker", "reason", "origin", "restricted"])
    return SavedPeerSet(company_id=subject.id, peers=frame, saved_by=saved_by, saved_at=saved_at,
                        missing=len(entries) - len(kept))  # fmt: skip


# --- the comps table --------------------------------------------------------------------------
TABLE_COLUMNS = ["role", "company_id", "key", "name", "ticker", "sector", "region", "currency", "financials_as_of",
                 *(m.name for m in METRICS), "restricted"]  # fmt: skip


@dataclass(frozen=True)
class CompsTable:
    subject: dict[str, Any]
    rows: pd.DataFrame  # TABLE_COLUMNS: the subject first (role "subject"), then the peers (role "peer")
    stats: pd.DataFrame  # metric, label, kind, n, median, mean, q1, q3, low, high (over the peers)
    position: pd.DataFrame  # metric, label, subject, median, vs_median_pct, percentile, quartile
    as_of: dt.date | None  # newest financials date among the rows
    restricted: list[str] = field(default_factory=list)  # names on the restricted list (subject or peers)

    @property
    def peers(self) -> pd.DataFrame:
        return self.rows[self.rows["role"] == "peer"].reset_index(drop=True)


def _quartile(value: float, stats: dict[str, float]) -> str:
    if not np.isfinite(value) or stats["n"] == 0:
        return "-"
    if value < stats["q1"]:
        return "bottom quartile"
    if value <= stats["median"]:
        return "second quartile"
    if value <= stats["q3"]:
        return "third quartile"
    return "top quartile"


def build_comps_table(company: str | int, peer_ids: Sequence[int], *, session_factory: sessionmaker[Session],
                      viewer: Viewer = PUBLIC) -> CompsTable:  # fmt: skip
    """The comps table of ``company`` against ``peer_ids``: measures, peer statistics, the subject's position."""
    with session_factory() as session:
        subject_row = resolve_company(session, company)
        ids = [int(i) for i in dict.fromkeys(peer_ids) if int(i) != subject_row.id]
        if not ids:
            raise WorkbenchError(f"{subject_row.name} has no peers: propose or add some first")
        frame = companies_by_ids(session, [subject_row.id, *ids])
        restricted_ids = restricted_company_ids(session)
    if len(frame) < 2:
        raise WorkbenchError("none of the peers is in the store any more")
    frame = company_metrics(frame)
    frame["role"] = np.where(frame["id"] == subject_row.id, "subject", "peer")
    frame["restricted"] = frame["id"].isin(restricted_ids)
    rows = frame.rename(columns={"id": "company_id"})[TABLE_COLUMNS].reset_index(drop=True)
    peers = rows[rows["role"] == "peer"]
    subject = rows.iloc[0]
    stat_rows, position_rows = [], []
    for m in METRICS:
        stats = metric_stats(peers[m.name])
        stat_rows.append({"metric": m.name, "label": m.label, "kind": m.kind, **stats})
        value = float(subject[m.name]) if pd.notna(subject[m.name]) else np.nan
        known = pd.to_numeric(peers[m.name], errors="coerce").dropna()
        percentile = float((known < value).mean() * 100) if len(known) and np.isfinite(value) else np.nan
        vs = (value / stats["median"] - 1) * 100 if np.isfinite(value) and stats["n"] and stats["median"] else np.nan
        position_rows.append({"metric": m.name, "label": m.label, "kind": m.kind, "subject": value,
                              "median": stats["median"], "vs_median_pct": vs, "percentile": percentile,
                              "quartile": _quartile(value, stats)})  # fmt: skip
    dates = [d for d in rows["financials_as_of"] if isinstance(d, dt.date)]
    return CompsTable(subject=subject.to_dict(), rows=rows, stats=pd.DataFrame(stat_rows),
                      position=pd.DataFrame(position_rows), as_of=max(dates) if dates else None,
                      restricted=[str(n) for n in rows.loc[rows["restricted"], "name"]])  # fmt: skip


# --- charts -------------------------------------------------------------------------------------
def multiple_vs_growth_figure(table: CompsTable, metric: str = "ev_ebitda"):
    """Scatter of a multiple against revenue growth, the subject marked, the peers' median as a line."""
    import plotly.express as px

    label = METRIC_BY_NAME[metric].label
    data = table.rows.dropna(subset=[metric, "revenue_growth_pct"])
    data = data.assign(who=np.where(data["role"] == "subject", table.subject["name"], "Peers"),
                       label=data["ticker"].fillna(data["name"]))  # fmt: skip
    fig = px.scatter(data, x="revenue_growth_pct", y=metric, color="who", text="label", hover_name="name",
                     labels={"revenue_growth_pct": "Revenue growth (%)", metric: label, "who": ""},
                     title=f"{label} vs revenue growth")  # fmt: skip
    fig.update_traces(textposition="top center", marker={"size": 11})
    median = table.stats.set_index("metric").loc[metric, "median"]
    if np.isfinite(median):
        fig.add_hline(y=float(median), line_dash="dot", annotation_text="peer median")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=50, b=10), legend_title_text="")
    return fig


def multiples_bar_figure(table: CompsTable, metric: str = "ev_ebitda"):
    """One bar per company for a multiple, highest first, the subject in its own colour, the median marked."""
    import plotly.express as px

    label = METRIC_BY_NAME[metric].label
    data = table.rows.dropna(subset=[metric]).sort_values(metric, ascending=False)
    data = data.assign(who=np.where(data["role"] == "subject", table.subject["name"], "Peers"),
                       label=data["ticker"].fillna(data["name"]))  # fmt: skip
    fig = px.bar(data, x="label", y=metric, color="who", hover_name="name", labels={"label": "", metric: label,
                 "who": ""}, title=label, text_auto=".1f")  # fmt: skip
    median = table.stats.set_index("metric").loc[metric, "median"]
    if np.isfinite(median):
        fig.add_hline(y=float(median), line_dash="dot", annotation_text="peer median")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=50, b=10), legend_title_text="",
                      xaxis={"categoryorder": "array", "categoryarray": list(data["label"])})  # fmt: skip
    return fig


def peer_ids(frame: pd.DataFrame) -> list[int]:
    return [int(c) for c in frame["company_id"]] if len(frame) else []


def search_companies(text: str, *, session_factory: sessionmaker[Session], exclude: Iterable[int] = (),
                     limit: int = 20) -> pd.DataFrame:  # fmt: skip
    """Listed companies to add as peers, by ticker or name (reuses the market search)."""
    from services.market import find_companies

    found = find_companies(text, session_factory=session_factory, limit=limit * 2)
    excluded = {int(i) for i in exclude}
    return found[~found["company_id"].isin(excluded)].head(limit).reset_index(drop=True)
