"""Precedents: the past deals most like a situation, with the reasons why.

A search filters deals on their facts (type, sector, region, size, date, status), then ranks
the survivors by several signals, each its own ranking: text (cosine similarity of sentence
vectors), keywords (BM25, for exact names, tickers and numbers), sector match, size
closeness, recency and, when the query states target multiples, multiples closeness.
Rankings are fused by weighted reciprocal rank fusion:
``score = sum over parts of weight / (k + rank in that part)``. Each hit carries every part
of its score and the query words it matched, so a banker can see why it is there.

The precedent set (hits minus excluded deals plus pinned ones) gives the multiples table
(median, mean, quartiles) and the charts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session, sessionmaker

from services.deal_embeddings import (EmbedReport, IndexReport, deal_text, embed_deals,
                                      sync_vector_index)  # fmt: skip
from workbench.access import PUBLIC, Viewer, deal_visible, restricted_deal_ids
from workbench.domain import DEAL_TYPE_LABELS, DealStatus, DealType
from workbench.embeddings import Embedder
from workbench.errors import WorkbenchError
from workbench.keyword import KeywordIndex, highlight, matched_words
from workbench.models import Deal
from workbench.progress import ProgressCallback, no_progress
from workbench.vector_index import VectorIndex

if TYPE_CHECKING:  # typing only: services.imports need not load with the precedents
    from services.imports.service import AfterImport

log = logging.getLogger(__name__)

PARTS = ("text", "keywords", "sector", "size", "recency", "multiples")
PART_LABELS = {"text": "Text similarity", "keywords": "Keywords", "sector": "Sector", "size": "Size",
               "recency": "Recency", "multiples": "Multiples"}  # fmt: skip
CATALOG_COLUMNS = ("id", "key", "name", "deal_type", "status", "announced_date", "size_usd_m",
                   "enterprise_value_usd_m", "ev_ebitda", "ev_revenue", "premium_pct", "sector", "industry",
                   "region", "country", "description", "categories", "team_id")  # fmt: skip
FILTER_COLUMNS = ("deal_type", "sector", "region", "status")
MULTIPLES = {"enterprise_value_usd_m": "EV ($m)", "ev_ebitda": "EV/EBITDA (x)", "ev_revenue": "EV/Revenue (x)",
             "premium_pct": "Premium (%)"}  # fmt: skip
# Multiples a query may target (PrecedentQuery field -> deal column). Not EV: the size part
# covers it. Not premium: a percentage that can be 0 or negative has no log ratio.
TARGET_MULTIPLES = {"target_ev_ebitda": "ev_ebitda", "target_ev_revenue": "ev_revenue"}
MAX_TOP = 500
MAX_QUERY_CHARS = 5000
SCOPED_KEYWORD_INDEXES = 4  # keyword indexes of the deals one set of viewers may see, kept per corpus


# --- what a search asks -------------------------------------------------------------------
@dataclass(frozen=True)
class FusionWeights:
    """Weight of each ranking in the fusion, and the RRF constant k (smaller: top ranks count more)."""

    # Tuned on bench/bench_precedents_quality.py (docs/PERFORMANCE.md): text and keywords
    # count alike; k = 60 (the usual RRF constant) beat 5-20 there.
    text: float = 1.0
    keywords: float = 1.0
    sector: float = 0.3
    size: float = 0.3
    recency: float = 0.1
    # Counts only when the query states a target multiple; then as much as size (structured closeness).
    multiples: float = 0.3
    rrf_k: float = 60.0

    def validate(self) -> FusionWeights:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                raise WorkbenchError(f"fusion weight {f.name} must be a number >= 0, not {value!r}")
        if self.rrf_k <= 0:
            raise WorkbenchError("fusion constant rrf_k must be above 0")
        if not any(getattr(self, p) > 0 for p in PARTS):
            raise WorkbenchError("at least one fusion weight must be above 0")
        return self

    def part(self, name: str) -> float:
        return float(getattr(self, name))


def _deal_type(value: str) -> str:
    wanted = value.strip().lower()
    for t in DealType:
        if wanted in (t.value, t.label.lower()):
            return t.value
    valid = ", ".join(t.value for t in DealType)
    raise WorkbenchError(f"unknown deal type {value[:40]!r}; use one of {valid}")


def _status(value: str) -> str:
    wanted = value.strip().lower()
    if wanted not in {s.value for s in DealStatus}:
        raise WorkbenchError(f"unknown deal status {value[:40]!r}; use one of {', '.join(s.value for s in DealStatus)}")
    return wanted


@dataclass(frozen=True)
class PrecedentFilters:
    """Structured pre-filters; empty means no restriction. Values are compared, never run."""

    deal_types: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    size_min: float | None = None
    size_max: float | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def normalised(self) -> PrecedentFilters:
        for name in ("size_min", "size_max"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or math.isnan(value) or value < 0):
                raise WorkbenchError(f"{name} must be a number >= 0, not {value!r}")
        if self.size_min is not None and self.size_max is not None and self.size_min > self.size_max:
            raise WorkbenchError(f"size range is empty: minimum {self.size_min} is above maximum {self.size_max}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise WorkbenchError(f"date range is empty: {self.date_from} is after {self.date_to}")
        return replace(self, deal_types=tuple(_deal_type(t) for t in self.deal_types),
                       statuses=tuple(_status(s) for s in self.statuses),
                       sectors=tuple(s.strip() for s in self.sectors if s.strip()),
                       regions=tuple(r.strip() for r in self.regions if r.strip()))  # fmt: skip

    def describe(self) -> list[str]:
        out = []
        if self.deal_types:
            out.append("type: " + ", ".join(DEAL_TYPE_LABELS.get(DealType(t), t) for t in self.deal_types))
        for label, values in (("sector", self.sectors), ("region", self.regions), ("status", self.statuses)):
            if values:
                out.append(f"{label}: " + ", ".join(values))
        if self.size_min is not None or self.size_max is not None:
            out.append(f"size $m: {self.size_min if self.size_min is not None else '-'} to "
                       f"{self.size_max if self.size_max is not None else '-'}")  # fmt: skip
        if self.date_from or self.date_to:
            out.append(f"announced: {self.date_from or '-'} to {self.date_to or '-'}")
        return out


@dataclass(frozen=True)
class PrecedentQuery:
    """Text, or a deal to find more like (``deal_key``), or both; filters; weights; top N."""

    text: str = ""
    deal_key: str | None = None
    filters: PrecedentFilters = field(default_factory=PrecedentFilters)
    weights: FusionWeights = field(default_factory=FusionWeights)
    top: int = 20
    exclude_keys: tuple[str, ...] = ()
    target_size_usd_m: float | None = None
    target_sector: str | None = None
    target_ev_ebitda: float | None = None
    target_ev_revenue: float | None = None

    @property
    def target_multiples(self) -> dict[str, float]:
        """Deal column -> the value the query targets, for the multiples it states."""
        return {col: float(getattr(self, name)) for name, col in TARGET_MULTIPLES.items()
                if getattr(self, name) is not None}  # fmt: skip

    def active_parts(self) -> tuple[str, ...]:
        """The parts that can score: the multiples part only when the query states a target multiple."""
        return tuple(p for p in PARTS if p != "multiples" or self.target_multiples)

    def validate(self) -> PrecedentQuery:
        # Only words to look for, never SQL; lone surrogates (a browser can send them) are dropped,
        # as no text encoding can carry them to the embedder.
        text = (self.text or "").encode("utf-8", "ignore").decode("utf-8").strip()
        if not text and not self.deal_key:
            raise WorkbenchError("describe the situation in words, or pick a deal to find more like it")
        if len(text) > MAX_QUERY_CHARS:
            raise WorkbenchError(f"the query is {len(text):,} characters; keep it under {MAX_QUERY_CHARS:,}")
        if not isinstance(self.top, int) or not 1 <= self.top <= MAX_TOP:
            raise WorkbenchError(f"top must be a whole number from 1 to {MAX_TOP}, not {self.top!r}")
        if self.target_size_usd_m is not None and not self.target_size_usd_m > 0:
            raise WorkbenchError("target size must be above 0 ($m)")
        for name, col in TARGET_MULTIPLES.items():
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value) or value <= 0):  # fmt: skip
                raise WorkbenchError(f"target {MULTIPLES[col]} must be a number above 0, not {value!r}")
        weights = self.weights.validate()
        if not any(weights.part(p) > 0 for p in self.active_parts()):
            raise WorkbenchError("at least one fusion weight must be above 0 (the multiples weight counts only "
                                 "with a target multiple)")  # fmt: skip
        return replace(self, text=text, filters=self.filters.normalised(), weights=weights)


def _tuple(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise WorkbenchError(f"{name} must be a string or a list of strings")


def _date(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WorkbenchError(f"{name} must be a date YYYY-MM-DD, not {str(value)[:40]!r}") from None


def _number(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WorkbenchError(f"{name} must be a number, not {str(value)[:40]!r}")
    return float(value)


QUERY_KEYS = {"text", "deal", "type", "sector", "region", "status", "size_min", "size_max", "date_from", "date_to",
              "exclude", "top", "target_size", "weights", *TARGET_MULTIPLES}  # fmt: skip


def query_from_json(obj: Any, *, default_top: int = 10) -> PrecedentQuery:
    """A query from one JSON object of a batch file (text, optional filters, optional exclude)."""
    if not isinstance(obj, dict):
        raise WorkbenchError("each line must be a JSON object")
    unknown = sorted(set(obj) - QUERY_KEYS)
    if unknown:
        raise WorkbenchError(f"unknown field(s) {', '.join(repr(u[:40]) for u in unknown)}; "
                             f"known: {', '.join(sorted(QUERY_KEYS))}")  # fmt: skip
    text = obj.get("text") or ""
    if not isinstance(text, str):
        raise WorkbenchError("text must be a string")
    deal = obj.get("deal")
    if deal is not None and not isinstance(deal, str):
        raise WorkbenchError("deal must be a deal key (a string)")
    weights = obj.get("weights") or {}
    if not isinstance(weights, dict) or set(weights) - {f.name for f in fields(FusionWeights)}:
        raise WorkbenchError(f"weights must be an object with {', '.join(f.name for f in fields(FusionWeights))}")
    top = obj.get("top", default_top)
    filters = PrecedentFilters(
        deal_types=_tuple(obj.get("type"), "type"), sectors=_tuple(obj.get("sector"), "sector"),
        regions=_tuple(obj.get("region"), "region"), statuses=_tuple(obj.get("status"), "status"),
        size_min=_number(obj.get("size_min"), "size_min"), size_max=_number(obj.get("size_max"), "size_max"),
        date_from=_date(obj.get("date_from"), "date_from"), date_to=_date(obj.get("date_to"), "date_to"))  # fmt: skip
    return PrecedentQuery(text=text, deal_key=deal, filters=filters, weights=FusionWeights(**weights), top=top,
                          exclude_keys=_tuple(obj.get("exclude"), "exclude"),
                          target_size_usd_m=_number(obj.get("target_size"), "target_size"),
                          **{name: _number(obj.get(name), name) for name in TARGET_MULTIPLES})  # fmt: skip


# --- the searchable corpus ------------------------------------------------------------------
@dataclass
class Corpus:
    """Deal facts in memory (one row per deal), their keyword index and their vector index."""

    catalog: pd.DataFrame  # CATALOG_COLUMNS + "text"; row order matches keyword rows
    keyword: KeywordIndex
    vectors: VectorIndex | None
    deal_ids: np.ndarray = field(init=False)
    _position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.deal_ids = self.catalog["id"].to_numpy(dtype=np.int64)
        self._position = {k: i for i, k in enumerate(self.catalog["key"])}
        self._order = np.argsort(self.deal_ids)
        # Filters compare integer codes, not strings: a million rows filter in milliseconds.
        self._codes: dict[str, tuple[np.ndarray, dict[str, int]]] = {}
        for col in FILTER_COLUMNS:
            lowered = [v.lower() if isinstance(v, str) else "" for v in self.catalog[col]]
            codes, uniques = pd.factorize(pd.Series(lowered, dtype=object))
            self._codes[col] = (codes.astype(np.int32), {u: i for i, u in enumerate(uniques)})
        self._size = self.catalog["size_usd_m"].to_numpy(dtype=np.float64)
        self._dates = self.catalog["announced_date"].to_numpy(dtype="datetime64[ns]")
        # Deal team of each private-side deal, -1 for public ones (a catalog without the column is all public).
        teams = self.catalog["team_id"] if "team_id" in self.catalog else pd.Series(np.nan, index=self.catalog.index)
        self._team = pd.to_numeric(teams, errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
        self._scoped_keywords: OrderedDict[frozenset[int], KeywordIndex] = OrderedDict()
        self._scope_lock = threading.Lock()

    def visible_mask(self, viewer: Viewer) -> np.ndarray:
        """Rows the viewer may see: public deals, their teams' private-side ones (all for compliance)."""
        if viewer.sees_all_private:
            return np.ones(len(self.catalog), dtype=bool)
        return (self._team < 0) | np.isin(self._team, np.fromiter(viewer.teams, dtype=np.int64))

    def keyword_scores(self, text: str, visible: np.ndarray) -> np.ndarray:
        """BM25 of every row for ``text``, computed over the visible rows only (0 elsewhere).

        BM25's term weights depend on the whole collection (document frequencies, average
        length), so scoring with the full index would let a hidden deal's words shift a
        visible deal's score. A viewer who cannot see every row gets an index of exactly the
        rows they may see, built once per set of visible teams and kept (a few at a time).
        """
        if visible.all():
            return self.keyword.scores(text)
        scope = frozenset(int(t) for t in np.unique(self._team[visible & (self._team >= 0)]))
        with self._scope_lock:
            index = self._scoped_keywords.get(scope)
            if index is not None:
                self._scoped_keywords.move_to_end(scope)
        rows = np.flatnonzero(visible)
        if index is None:
            index = KeywordIndex.build(self.catalog["text"].iloc[rows].tolist())
            with self._scope_lock:
                self._scoped_keywords[scope] = index
                while len(self._scoped_keywords) > SCOPED_KEYWORD_INDEXES:
                    self._scoped_keywords.popitem(last=False)
        out = np.zeros(len(self.catalog), dtype=np.float32)
        out[rows] = index.scores(text)
        return out

    def mask(self, filters: PrecedentFilters) -> np.ndarray:
        """Rows passing the filters; the same rule as ``filter_mask``, on precomputed codes."""
        mask = np.ones(len(self.catalog), dtype=bool)
        for col, values in (("deal_type", filters.deal_types), ("sector", filters.sectors),
                            ("region", filters.regions), ("status", filters.statuses)):  # fmt: skip
            if values:
                codes, lookup = self._codes[col]
                wanted = [lookup[v.lower()] for v in values if v.lower() in lookup]
                mask &= np.isin(codes, np.asarray(wanted, dtype=np.int32))
        with np.errstate(invalid="ignore"):
            if filters.size_min is not None:
                mask &= self._size >= filters.size_min
            if filters.size_max is not None:
                mask &= self._size <= filters.size_max
        if filters.date_from is not None:
            mask &= self._dates >= np.datetime64(filters.date_from, "ns")
        if filters.date_to is not None:
            mask &= self._dates <= np.datetime64(filters.date_to, "ns")
        return mask

    def position_of_key(self, key: str) -> int | None:
        return self._position.get(key)

    def positions_of_ids(self, ids: np.ndarray) -> np.ndarray:
        sorted_ids = self.deal_ids[self._order]
        where = np.searchsorted(sorted_ids, ids)
        where = np.clip(where, 0, max(len(sorted_ids) - 1, 0))
        found = sorted_ids[where] == ids if len(sorted_ids) else np.zeros(len(ids), dtype=bool)
        return np.where(found, self._order[where], -1)

    @classmethod
    def from_frame(cls, catalog: pd.DataFrame, vectors: VectorIndex | None) -> Corpus:
        catalog = catalog.reset_index(drop=True)
        if "text" not in catalog.columns:
            catalog["text"] = [deal_text(r) for r in catalog.to_dict("records")]
        return cls(catalog=catalog, keyword=KeywordIndex.build(catalog["text"].tolist()), vectors=vectors)


def load_catalog(session: Session) -> pd.DataFrame:
    """Every deal, private-side ones too (with their team_id): searches mask them per viewer."""
    columns = [getattr(Deal, c) for c in CATALOG_COLUMNS]
    rows = session.execute(select(*columns).order_by(Deal.id)).all()
    frame = pd.DataFrame(rows, columns=list(CATALOG_COLUMNS))
    for col in ("size_usd_m", "enterprise_value_usd_m", "ev_ebitda", "ev_revenue", "premium_pct"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["announced_date"] = pd.to_datetime(frame["announced_date"], errors="coerce")
    return _text_as_objects(frame)


TEXT_FIELDS = ("key", "name", "deal_type", "status", "sector", "industry", "region", "country", "description")


def _text_as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    # Plain Python strings and None: pandas' string dtype would turn a missing text into NaN.
    for col in TEXT_FIELDS:
        frame[col] = pd.Series([v if isinstance(v, str) else None for v in frame[col]], dtype=object,
                               index=frame.index)  # fmt: skip
    return frame


def deals_state(session: Session) -> tuple[int, int, str]:
    # The barrier part (which deal is on which team) is in the state too, so that a deal made
    # private-side drops out of other viewers' searches at once, whatever the clocks say.
    barrier = func.coalesce(func.sum(cast(Deal.id, BigInteger) * cast(Deal.team_id, BigInteger)), 0)
    count, max_id, last, private, teams = session.execute(
        select(func.count(), func.max(Deal.id), func.max(Deal.updated_at), func.count(Deal.team_id), barrier)
    ).one()
    return int(count or 0), int(max_id or 0), f"{last or ''}|{private}|{teams}"


@dataclass(frozen=True)
class EngineStatus:
    deals: int
    embedded: EmbedReport | None
    index: IndexReport


class PrecedentEngine:
    """The corpus of one store and model, kept in memory and refreshed when the store changes.

    Built once per process (the app caches it; the CLI makes one per call). ``refresh``
    embeds new or changed deals, reloads the facts, and syncs the saved vector index.
    """

    def __init__(self, *, folder: Path, approximate_from: int) -> None:
        self.folder = folder
        self.approximate_from = approximate_from
        self._lock = threading.RLock()
        self._corpus: Corpus | None = None
        self._deals_state: tuple[int, int, str] | None = None

    def refresh(self, *, session_factory: sessionmaker[Session], embedder: Embedder,
                progress: ProgressCallback = no_progress) -> EngineStatus:  # fmt: skip
        with self._lock:
            with session_factory() as session:
                state = deals_state(session)
            embedded = None
            corpus = self._corpus
            if state != self._deals_state or corpus is None:
                embedded = embed_deals(session_factory=session_factory, embedder=embedder,
                                       progress=lambda f, m: progress(0.9 * f, m))  # fmt: skip
                with session_factory() as session:
                    catalog = load_catalog(session)
                corpus = Corpus.from_frame(catalog, corpus.vectors if corpus else None)
            progress(0.92, "Updating the vector index")
            vectors, report = sync_vector_index(session_factory=session_factory, model_name=embedder.name,
                                                dimension=embedder.dimension, folder=self.folder,
                                                approximate_from=self.approximate_from,
                                                current=corpus.vectors)  # fmt: skip
            corpus.vectors = vectors
            self._corpus, self._deals_state = corpus, state
            progress(1.0, f"{len(corpus.catalog):,} deals searchable")
            return EngineStatus(len(corpus.catalog), embedded, report)

    def corpus(self, *, session_factory: sessionmaker[Session], embedder: Embedder,
               progress: ProgressCallback = no_progress) -> Corpus:  # fmt: skip
        self.refresh(session_factory=session_factory, embedder=embedder, progress=progress)
        assert self._corpus is not None
        return self._corpus


def engine_from_settings(settings: Any) -> PrecedentEngine:
    return PrecedentEngine(folder=Path(settings.data_dir) / "index", approximate_from=settings.index_approximate_from)


# --- ranking -----------------------------------------------------------------------------
@dataclass
class PrecedentResult:
    query: PrecedentQuery
    hits: pd.DataFrame
    universe: int
    matched: int  # deals that pass the filters
    reference: dict[str, Any] | None
    timings_ms: dict[str, float]
    index_kind: str

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready hits: key as imported, name, score and its parts, matched words."""
        out = []
        for rec in self.hits.to_dict("records"):
            out.append({
                "rank": int(rec["rank"]), "key": rec["key"], "name": rec["name"], "score": round(rec["score"], 6),
                "match_pct": round(rec["match_pct"], 1),
                "parts": {p: round(float(rec[f"part_{p}"]), 6) for p in PARTS},
                "similarity": None if pd.isna(rec["similarity"]) else round(float(rec["similarity"]), 4),
                "bm25": round(float(rec["bm25"]), 4), "matched_words": rec["matched_words"],
                "multiples_closeness": None if pd.isna(rec.get("multiples_closeness"))
                else round(float(rec["multiples_closeness"]), 4),
                "deal_type": rec["deal_type"], "sector": rec["sector"],
                "announced_date": None if pd.isna(rec["announced_date"]) else rec["announced_date"].date().isoformat(),
                "size_usd_m": None if pd.isna(rec["size_usd_m"]) else rec["size_usd_m"],
                "restricted": bool(rec.get("restricted", False)),
            })  # fmt: skip
        return out

    def describe(self) -> list[str]:
        what = [f"text: {self.query.text}"] if self.query.text else []
        if self.reference:
            what.append(f"more like: {self.reference['name']} ({self.reference['key']})")
        what += [f"target {MULTIPLES[col]}: {value:g}" for col, value in self.query.target_multiples.items()]
        return what + self.query.filters.describe()


def filter_mask(catalog: pd.DataFrame, filters: PrecedentFilters) -> np.ndarray:
    """Rows that pass the filters. Text values compare case-insensitively, as plain values."""
    mask = np.ones(len(catalog), dtype=bool)

    def isin(column: str, values: Iterable[str]) -> np.ndarray:
        wanted = {v.lower() for v in values}
        return catalog[column].fillna("").astype(str).str.lower().isin(wanted).to_numpy()

    if filters.deal_types:
        mask &= catalog["deal_type"].isin(list(filters.deal_types)).to_numpy()
    if filters.sectors:
        mask &= isin("sector", filters.sectors)
    if filters.regions:
        mask &= isin("region", filters.regions)
    if filters.statuses:
        mask &= isin("status", filters.statuses)
    size = catalog["size_usd_m"].to_numpy(dtype=np.float64)
    if filters.size_min is not None:
        mask &= size >= filters.size_min
    if filters.size_max is not None:
        mask &= size <= filters.size_max
    dates = catalog["announced_date"]
    if filters.date_from is not None:
        mask &= (dates >= pd.Timestamp(filters.date_from)).to_numpy()
    if filters.date_to is not None:
        mask &= (dates <= pd.Timestamp(filters.date_to)).to_numpy()
    return mask


def multiples_closeness(rows: pd.DataFrame, targets: Mapping[str, float]) -> np.ndarray:
    """How close each deal's multiples are to the targets, 0-1 (NaN: the deal has none of them).

    Per multiple, closeness is exp(-|log(deal / target)|), that is the smaller over the larger
    (10x for a 12x target: 0.83, as is 14.4x); a deal without that multiple (or with one of
    0 or below, as a loss-making EBITDA gives) scores 0 for it. The part is the mean over the
    targeted multiples, so a deal missing one of two gets no credit for that one, and no
    other penalty.
    """
    if not targets:
        return np.full(len(rows), np.nan)
    per_multiple = []
    for col, target in targets.items():
        values = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=np.float64) if col in rows \
            else np.full(len(rows), np.nan)  # fmt: skip
        with np.errstate(divide="ignore", invalid="ignore"):
            close = np.exp(-np.abs(np.log(np.where(values > 0, values, np.nan) / float(target))))
        per_multiple.append(np.nan_to_num(close, nan=0.0))
    mean = np.mean(per_multiple, axis=0)
    return np.where(mean > 0, mean, np.nan)


def _ranks(values: np.ndarray, *, ascending: bool) -> np.ndarray:
    """1-based competition ranks (ties share the best rank); NaN values get no rank (inf)."""
    out = np.full(len(values), np.inf)
    valid = ~np.isnan(values)
    if valid.any():
        v = values[valid] if ascending else -values[valid]
        ranks = pd.Series(v).rank(method="min").to_numpy()
        out[valid] = ranks
    return out


def _reference_position(corpus: Corpus, query: PrecedentQuery, visible: np.ndarray) -> int | None:
    ref_pos = corpus.position_of_key(query.deal_key) if query.deal_key else None
    if query.deal_key and (ref_pos is None or not visible[ref_pos]):  # a hidden deal is not found either
        raise WorkbenchError(f"no deal with key {query.deal_key[:80]!r}")
    return ref_pos


def rank_precedents(corpus: Corpus, query: PrecedentQuery, query_vector: np.ndarray | None, *,
                    candidates: int = 200, viewer: Viewer = PUBLIC) -> PrecedentResult:  # fmt: skip
    """Filter, gather candidates from text and keywords, fuse the rankings, explain the hits.

    Only deals the viewer may see take part: in the filters, both rankings, the keyword
    statistics, the reference deal and the counts.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    catalog = corpus.catalog
    weights = query.weights
    reference = None
    visible = corpus.visible_mask(viewer)
    ref_pos = _reference_position(corpus, query, visible)
    mask = corpus.mask(query.filters) & visible
    excluded = [p for p in (corpus.position_of_key(k) for k in query.exclude_keys) if p is not None]
    if ref_pos is not None:
        excluded.append(ref_pos)
        reference = catalog.iloc[ref_pos].to_dict()
    if excluded:
        mask[np.asarray(excluded, dtype=np.int64)] = False
    allowed = np.flatnonzero(mask)
    timings["filter"] = (time.perf_counter() - t0) * 1000
    n_cand = max(candidates, query.top * 5)

    # Text similarity: nearest vectors among the allowed deals.
    t1 = time.perf_counter()
    sim_by_pos: dict[int, float] = {}
    if query_vector is not None and corpus.vectors is not None and weights.text > 0 and len(allowed):
        allowed_ids = None if len(allowed) == len(catalog) else corpus.deal_ids[allowed]
        scores, ids = corpus.vectors.search(query_vector, n_cand, allowed_ids=allowed_ids)
        positions = corpus.positions_of_ids(ids)
        sim_by_pos = {int(p): float(s) for p, s in zip(positions, scores) if p >= 0 and mask[p]}
    timings["vector"] = (time.perf_counter() - t1) * 1000

    # Keywords: BM25 over the allowed deals.
    t2 = time.perf_counter()
    keyword_text = query.text or (reference["text"] if reference else "")
    bm25_all = corpus.keyword_scores(keyword_text, visible) if keyword_text else np.zeros(len(catalog), dtype=np.float32)
    bm25_allowed = np.where(mask, bm25_all, 0.0)
    kw_top = np.zeros(0, dtype=np.int64)
    if weights.keywords > 0 and (bm25_allowed > 0).any():
        nonzero = np.flatnonzero(bm25_allowed > 0)
        k = min(n_cand, len(nonzero))
        kw_top = nonzero[np.argpartition(-bm25_allowed[nonzero], k - 1)[:k]]
    timings["keywords"] = (time.perf_counter() - t2) * 1000

    t3 = time.perf_counter()
    pool = np.unique(np.concatenate([np.fromiter(sim_by_pos, dtype=np.int64, count=len(sim_by_pos)), kw_top]))
    if len(pool) == 0 and len(allowed):
        # Nothing matches the words and no vectors yet: fall back to the structured signals.
        pool = allowed[:n_cand]
    rows = catalog.iloc[pool]
    sim = np.array([sim_by_pos.get(int(p), np.nan) for p in pool], dtype=np.float64)
    if corpus.vectors is not None and query_vector is not None and np.isnan(sim).any():
        missing = np.isnan(sim)
        sim[missing] = corpus.vectors.exact_scores(query_vector, corpus.deal_ids[pool[missing]])
    bm25 = bm25_allowed[pool].astype(np.float64)

    size = rows["size_usd_m"].to_numpy(dtype=np.float64)
    dates = rows["announced_date"]
    target_size = query.target_size_usd_m or (reference.get("size_usd_m") if reference else None)
    target_sector = query.target_sector or (reference.get("sector") if reference else None)
    parts_rank: dict[str, np.ndarray] = {
        "text": _ranks(sim, ascending=False),
        "keywords": _ranks(np.where(bm25 > 0, bm25, np.nan), ascending=False),
    }
    if target_sector:
        same = rows["sector"].fillna("").str.lower().to_numpy() == str(target_sector).lower()
        parts_rank["sector"] = np.where(same, 1.0, np.inf)
    else:
        parts_rank["sector"] = np.full(len(pool), np.inf)
    if target_size and target_size == target_size and target_size > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            distance = np.abs(np.log(np.where(size > 0, size, np.nan) / float(target_size)))
        parts_rank["size"] = _ranks(distance, ascending=True)
    else:
        parts_rank["size"] = np.full(len(pool), np.inf)
    days = (dates - pd.Timestamp(reference["announced_date"])).dt.days.abs() if reference is not None and \
        not pd.isna(reference.get("announced_date")) else -(dates - pd.Timestamp("1970-01-01")).dt.days  # fmt: skip
    parts_rank["recency"] = _ranks(days.to_numpy(dtype=np.float64), ascending=True)
    closeness = multiples_closeness(rows, query.target_multiples)
    parts_rank["multiples"] = _ranks(closeness, ascending=False)

    contributions = {p: np.where(np.isinf(r), 0.0, weights.part(p) / (weights.rrf_k + r))
                     for p, r in parts_rank.items()}  # fmt: skip
    total = sum(contributions.values())
    # An inactive multiples part (no target multiple) is left out of the best score too, so
    # its default weight does not lower every match percentage.
    best = sum(weights.part(p) for p in query.active_parts()) / (weights.rrf_k + 1.0)
    order = np.lexsort((-np.nan_to_num(sim, nan=-2.0), -total))[: query.top]
    timings["fuse"] = (time.perf_counter() - t3) * 1000

    t4 = time.perf_counter()
    hits = rows.iloc[order].copy()
    hits.insert(0, "rank", np.arange(1, len(hits) + 1))
    hits["score"] = total[order]
    hits["match_pct"] = 100.0 * total[order] / best
    for p in PARTS:
        hits[f"part_{p}"] = contributions[p][order]
    hits["similarity"] = sim[order]
    hits["bm25"] = bm25[order]
    hits["multiples_closeness"] = closeness[order]
    names = [n if isinstance(n, str) else "" for n in hits["name"]]
    descriptions = [d if isinstance(d, str) else "" for d in hits["description"]]
    words = [matched_words(keyword_text, f"{n}. {d}") for n, d in zip(names, descriptions)]
    hits["matched_words"] = words
    hits["highlighted"] = [highlight(d or n, w, escape=_escape_markdown)
                           for n, d, w in zip(names, descriptions, words)]  # fmt: skip
    hits = hits.drop(columns=["text"]).reset_index(drop=True)
    timings["explain"] = (time.perf_counter() - t4) * 1000
    timings["total"] = (time.perf_counter() - t0) * 1000
    if reference is not None:
        reference = {k: v for k, v in reference.items() if k != "text"}
    return PrecedentResult(query=query, hits=hits, universe=int(visible.sum()), matched=int(mask.sum()),
                           reference=reference, timings_ms=timings,
                           index_kind=corpus.vectors.kind if corpus.vectors else "none")  # fmt: skip


_MD_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>$~"})


def _escape_markdown(text: str) -> str:
    return text.translate(_MD_SPECIALS)


def _query_vector(corpus: Corpus, query: PrecedentQuery, embedder: Embedder) -> np.ndarray | None:
    if query.weights.text <= 0:
        return None
    if query.text:
        return embedder.encode([query.text])[0]
    pos = corpus.position_of_key(query.deal_key or "")
    if pos is None:
        return None
    if corpus.vectors is not None:
        stored = corpus.vectors.vector_of(int(corpus.deal_ids[pos]))
        if stored is not None:  # the deal is indexed: reuse its vector
            return stored
    return embedder.encode([corpus.catalog["text"].iat[pos]])[0]


def _flag_restricted(result: PrecedentResult, session_factory: sessionmaker[Session]) -> PrecedentResult:
    """Mark hits with a principal party on the restricted list (column ``restricted``)."""
    with session_factory() as session:
        flagged = restricted_deal_ids(session, result.hits["id"].tolist()) if len(result.hits) else set()
    result.hits["restricted"] = result.hits["id"].isin(flagged).to_numpy(dtype=bool) if len(result.hits) else []
    return result


def search_precedents(query: PrecedentQuery, *, session_factory: sessionmaker[Session], embedder: Embedder,
                      engine: PrecedentEngine, progress: ProgressCallback = no_progress,
                      viewer: Viewer = PUBLIC) -> PrecedentResult:  # fmt: skip
    """The deals the viewer may see most like the query, best first, each with its score parts,
    matched words and restricted-list flag."""
    query = query.validate()
    corpus = engine.corpus(session_factory=session_factory, embedder=embedder, progress=progress)
    _reference_position(corpus, query, corpus.visible_mask(viewer))
    t0 = time.perf_counter()
    vector = _query_vector(corpus, query, embedder)
    embed_ms = (time.perf_counter() - t0) * 1000
    result = rank_precedents(corpus, query, vector, viewer=viewer)
    result.timings_ms["embed_query"] = embed_ms
    result.timings_ms["total"] += embed_ms
    return _flag_restricted(result, session_factory)


@dataclass(frozen=True)
class BatchFailure:
    """A query of a batch that could not run (a bad value, an unknown deal key) and why."""

    query: PrecedentQuery
    error: str


def search_batch(queries: Sequence[PrecedentQuery], *, session_factory: sessionmaker[Session], embedder: Embedder,
                 engine: PrecedentEngine, viewer: Viewer = PUBLIC) -> list[PrecedentResult | BatchFailure]:  # fmt: skip
    """Many queries against one refreshed corpus; query texts are embedded together.

    One result per query, in order: a query that fails (WorkbenchError, e.g. a deal key that
    is unknown or hidden from the viewer) gives a ``BatchFailure`` and the others still run.
    """
    corpus = engine.corpus(session_factory=session_factory, embedder=embedder)
    visible = corpus.visible_mask(viewer)
    checked: list[PrecedentQuery | BatchFailure] = []
    for q in queries:
        try:
            q = q.validate()
            _reference_position(corpus, q, visible)
            checked.append(q)
        except WorkbenchError as exc:
            checked.append(BatchFailure(q, str(exc)))

    def embeds_text(q: PrecedentQuery | BatchFailure) -> bool:
        return isinstance(q, PrecedentQuery) and bool(q.text) and q.weights.text > 0

    texts = [q.text for q in checked if embeds_text(q)]  # type: ignore[union-attr]
    vectors = iter(embedder.encode(texts)) if texts else iter(())
    results: list[PrecedentResult | BatchFailure] = []
    for q in checked:
        if isinstance(q, BatchFailure):
            results.append(q)
            continue
        vector = next(vectors) if embeds_text(q) else _query_vector(corpus, q, embedder)
        try:
            results.append(_flag_restricted(rank_precedents(corpus, q, vector, viewer=viewer), session_factory))
        except WorkbenchError as exc:
            results.append(BatchFailure(q, str(exc)))
    return results


def deal_choices(*, session_factory: sessionmaker[Session], limit: int = 5000,
                 viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """Deals to pick from for "more like this": key, name, type, date; newest first."""
    with session_factory() as session:
        rows = session.execute(select(Deal.key, Deal.name, Deal.deal_type, Deal.announced_date)
                               .where(deal_visible(viewer))
                               .order_by(Deal.announced_date.desc().nulls_last(), Deal.id.desc())
                               .limit(limit)).all()  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "name", "deal_type", "announced_date"])


def filter_options(*, session_factory: sessionmaker[Session], viewer: Viewer = PUBLIC) -> dict[str, list[str]]:
    """Distinct sectors, regions, types and statuses of the deals the viewer may see, for the filter widgets."""
    with session_factory() as session:
        def distinct(col) -> list[str]:
            return sorted(v for v in session.scalars(select(col).where(deal_visible(viewer)).distinct()) if v)

        return {"deal_types": distinct(Deal.deal_type), "sectors": distinct(Deal.sector),
                "regions": distinct(Deal.region), "statuses": distinct(Deal.status)}  # fmt: skip


# --- the precedent set and its multiples -----------------------------------------------------
def deals_by_keys(keys: Sequence[str], *, session_factory: sessionmaker[Session],
                  viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """Facts of the given deals the viewer may see (for pinned deals that a search did not return)."""
    if not keys:
        return pd.DataFrame(columns=list(CATALOG_COLUMNS))
    columns = [getattr(Deal, c) for c in CATALOG_COLUMNS]
    with session_factory() as session:
        rows = session.execute(select(*columns).where(Deal.key.in_(list(keys)), deal_visible(viewer))).all()
        flagged = restricted_deal_ids(session, [r.id for r in rows])
    frame = pd.DataFrame(rows, columns=list(CATALOG_COLUMNS))
    frame["announced_date"] = pd.to_datetime(frame["announced_date"], errors="coerce")
    frame["restricted"] = frame["id"].isin(flagged).to_numpy(dtype=bool)
    return _text_as_objects(frame)


def precedent_set(hits: pd.DataFrame, *, pinned: pd.DataFrame | None = None,
                  excluded_keys: Iterable[str] = ()) -> pd.DataFrame:  # fmt: skip
    """Hits without the excluded deals, plus pinned deals (kept even when excluded is not asked)."""
    excluded = set(excluded_keys)
    frame = hits[~hits["key"].isin(excluded)].copy()
    frame["pinned"] = False
    if pinned is not None and len(pinned):
        pinned_keys = set(pinned["key"])
        frame.loc[frame["key"].isin(pinned_keys), "pinned"] = True
        extra = pinned[~pinned["key"].isin(set(frame["key"]))].copy()
        if len(extra):
            extra["pinned"] = True
            frame = pd.concat([frame, extra], ignore_index=True) if len(frame) else extra.reset_index(drop=True)
    return frame.reset_index(drop=True)


def multiples_table(frame: pd.DataFrame) -> pd.DataFrame:
    """EV, EV/EBITDA, EV/Revenue and premium: count, median, mean, quartiles, low, high."""
    out = []
    for col, label in MULTIPLES.items():
        values = pd.to_numeric(frame.get(col, pd.Series(dtype=float)), errors="coerce").dropna()
        if col == "enterprise_value_usd_m" and "size_usd_m" in frame:
            # Deals without a stated EV still show their size as the value paid.
            values = pd.to_numeric(frame[col].fillna(frame["size_usd_m"]), errors="coerce").dropna()
        row: dict[str, Any] = {"metric": label, "n": int(len(values))}
        if len(values):
            row.update(median=float(values.median()), mean=float(values.mean()),
                       q1=float(values.quantile(0.25)), q3=float(values.quantile(0.75)),
                       low=float(values.min()), high=float(values.max()))  # fmt: skip
        else:
            row.update(median=np.nan, mean=np.nan, q1=np.nan, q3=np.nan, low=np.nan, high=np.nan)
        out.append(row)
    return pd.DataFrame(out, columns=["metric", "n", "median", "mean", "q1", "q3", "low", "high"])


def multiple_vs_size_figure(frame: pd.DataFrame, metric: str = "ev_ebitda"):
    """Scatter of a multiple against deal size (log scale), pinned deals marked."""
    from workbench.plots import markers

    data = frame.assign(size=frame["enterprise_value_usd_m"].fillna(frame["size_usd_m"]))
    data = data.dropna(subset=["size", metric])
    pinned = data["pinned"].fillna(False).astype(bool) if "pinned" in data else pd.Series(False, index=data.index)
    label = MULTIPLES.get(metric, metric)
    fig = markers({"hit": data[~pinned], "pinned": data[pinned]}, x="size", y=metric, text="name", log_x=True,
                  x_title="EV or size ($m, log)", y_title=label, title=f"{label} vs size")  # fmt: skip
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="")
    return fig


def multiples_over_time_figure(frame: pd.DataFrame, metric: str = "ev_ebitda"):
    """A multiple by announcement date, with the set's median as a line."""
    from workbench.plots import markers

    data = frame.dropna(subset=["announced_date", metric])
    label = MULTIPLES.get(metric, metric)
    fig = markers({"deals": data}, x="announced_date", y=metric, text="name", x_title="Announced",
                  y_title=label, title=f"{label} over time", x_hover="|%d %b %Y")  # fmt: skip
    if len(data):
        fig.add_hline(y=float(data[metric].median()), line_dash="dot", annotation_text="median")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def _multiples_evidence(hit: Mapping[str, Any], targets: Mapping[str, float]) -> str:
    shown = []
    for col in targets or TARGET_MULTIPLES.values():
        value = hit.get(col)
        stated = "-" if value is None or pd.isna(value) else f"{float(value):.1f}x"
        shown.append(f"{MULTIPLES[col].removesuffix(' (x)')} {stated}"
                     + (f" vs {targets[col]:g}x" if col in targets else ""))  # fmt: skip
    closeness = hit.get("multiples_closeness")
    if closeness is not None and not pd.isna(closeness):
        shown.append(f"closeness {float(closeness):.2f}")
    return ", ".join(shown)


def explanation_frame(hit: Mapping[str, Any], query: PrecedentQuery | None = None) -> pd.DataFrame:
    """One hit's score parts as rows, with the raw evidence behind each (the query's targets, if given)."""
    evidence = {
        "text": "" if pd.isna(hit.get("similarity")) else f"cosine {hit['similarity']:.2f}",
        "keywords": ", ".join(hit.get("matched_words") or []) or "-",
        "sector": hit.get("sector") or "-",
        "size": "-" if pd.isna(hit.get("size_usd_m")) else f"${hit['size_usd_m']:,.0f}m",
        "recency": "-" if pd.isna(hit.get("announced_date")) else f"{pd.Timestamp(hit['announced_date']):%Y-%m-%d}",
        "multiples": _multiples_evidence(hit, query.target_multiples if query is not None else {}),
    }
    return pd.DataFrame([{"part": PART_LABELS[p], "points": float(hit.get(f"part_{p}", 0.0)),
                          "evidence": evidence[p]} for p in PARTS])  # fmt: skip


def result_json_line(result: PrecedentResult | BatchFailure, *, line: int | None = None) -> str:
    """One JSON line: the query and its hits, or its ``error``; ``line`` (of a batch file) first when given."""
    payload: dict[str, Any] = {} if line is None else {"line": line}
    payload |= {"query": result.query.text, "deal": result.query.deal_key}
    if isinstance(result, BatchFailure):
        payload["error"] = result.error
    else:
        payload |= {"matched": result.matched, "universe": result.universe, "hits": result.to_records()}
    return json.dumps(payload, ensure_ascii=False, default=str)


# --- keeping the index current after an import -----------------------------------------------
def index_after_import(*, engine: PrecedentEngine, embedder: Callable[[], Embedder]) -> AfterImport:
    """A hook for ``run_import(after_import=...)``: after a deals import, embed the new or changed
    deals and bring the engine's vector index up to date (other kinds: nothing to do).

    ``embedder`` is called only then, so a companies or prices import never loads the model.
    The import is committed before the hook runs: a failure here is a note on the result and
    the next search (or ``workbench index``) finishes the work.
    """
    def hook(kind: str, session_factory: sessionmaker[Session], progress: ProgressCallback) -> str | None:
        if kind != "deals":
            return None
        started = time.perf_counter()
        try:
            status = engine.refresh(session_factory=session_factory, embedder=embedder(), progress=progress)
        except (WorkbenchError, OSError, RuntimeError) as exc:
            log.warning("precedents index not updated after the import: %s", exc)
            return (f"the deals were imported, but the precedents index was not updated ({exc}); the next "
                    "precedent search or `workbench index` updates it")  # fmt: skip
        embedded = f"{status.embedded.embedded:,} deals embedded, " if status.embedded is not None else ""
        note = f" {status.index.note}" if status.index.note else ""
        return (f"precedents index {status.index.action} in {time.perf_counter() - started:.1f} s ({embedded}"
                f"{status.index.count:,} deals in the {status.index.kind} vector index){note}")  # fmt: skip

    return hook
