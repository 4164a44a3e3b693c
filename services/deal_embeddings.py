"""Deal vectors in the SQL store, and the FAISS index built from them.

A deal is embedded from its name, description and main facts. The vector is stored with
the model's name and the SHA-256 of that text, so a later run embeds only deals that are
new or whose text changed. Work is committed batch by batch: an interrupted run keeps what
it finished and the next run resumes from there.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workbench.domain import DealType
from workbench.embeddings import Embedder
from workbench.models import Deal, DealEmbedding
from workbench.progress import ProgressCallback, no_progress
from workbench.files import is_disk_full
from workbench.vector_index import KIND_FLAT, KIND_HNSW, VectorIndex, index_paths

# Re-exported: callers import the storage primitives from here.
from services.stored_vectors import (  # noqa: F401
    DEFAULT_BATCH,
    MAX_TEXT_CHARS,
    EmbedReport,
    VectorTable,
    embed_new_or_changed,
    text_sha256,
    vector_bytes,
    vector_from_bytes,
)

log = logging.getLogger(__name__)

TEXT_COLUMNS = ("name", "description", "deal_type", "sector", "industry", "region", "country")
def _type_label(value: str) -> str:
    try:
        return DealType(value).label
    except ValueError:
        return value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""  # None and pandas' NaN alike


def deal_text(deal: Mapping[str, Any]) -> str:
    """The text a deal is embedded and keyword-indexed from: name, description, then facts."""
    facts = [_type_label(_str(deal.get("deal_type"))), _str(deal.get("sector")), _str(deal.get("industry")),
             _str(deal.get("region")), _str(deal.get("country"))]  # fmt: skip
    parts = [_str(deal.get("name")), _str(deal.get("description")), ", ".join(f for f in facts if f)]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())[:MAX_TEXT_CHARS]


DEALS = VectorTable(owner=Deal, vectors=DealEmbedding, owner_key="deal_id", text_columns=TEXT_COLUMNS,
                    text_of=deal_text, noun="deals")


def embed_deals(*, session_factory: sessionmaker[Session], embedder: Embedder, batch_size: int = DEFAULT_BATCH,
                progress: ProgressCallback = no_progress,
                should_stop: Callable[[], bool] | None = None) -> EmbedReport:  # fmt: skip
    """Embed the deals that are new or changed since their last embedding; commit per batch."""
    return embed_new_or_changed(DEALS, session_factory=session_factory, embedder=embedder, batch_size=batch_size,
                                progress=progress, should_stop=should_stop)  # fmt: skip


# --- the vector index ----------------------------------------------------------------------
@dataclass(frozen=True)
class EmbeddingState:
    """What the stored embeddings of one model look like now: the index's fingerprint."""

    count: int
    max_id: int
    last_change: dt.datetime | None

    @property
    def fingerprint(self) -> str:
        return f"{self.count}:{self.max_id}:{self.last_change.isoformat() if self.last_change else ''}"

    @classmethod
    def parse(cls, fingerprint: str) -> EmbeddingState | None:
        try:
            count, max_id, last = fingerprint.split(":", 2)
            return cls(int(count), int(max_id), dt.datetime.fromisoformat(last) if last else None)
        except ValueError:
            return None


def embedding_state(*, session_factory: sessionmaker[Session], model_name: str) -> EmbeddingState:
    with session_factory() as session:
        count, max_id, last = session.execute(
            select(func.count(), func.max(DealEmbedding.id), func.max(DealEmbedding.created_at))
            .where(DealEmbedding.model_name == model_name)
        ).one()  # fmt: skip
    return EmbeddingState(int(count or 0), int(max_id or 0), last)


def load_embeddings(*, session_factory: sessionmaker[Session], model_name: str, dimension: int,
                    changed_after: dt.datetime | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Deal ids and vectors stored for the model (only those changed after a time, if given)."""
    stmt = select(DealEmbedding.deal_id, DealEmbedding.vector).where(
        DealEmbedding.model_name == model_name, DealEmbedding.dimension == dimension)
    if changed_after is not None:
        stmt = stmt.where(DealEmbedding.created_at > changed_after)
    ids: list[int] = []
    chunks: list[bytes] = []
    with session_factory() as session:
        for deal_id, data in session.execute(stmt.order_by(DealEmbedding.deal_id)):
            ids.append(deal_id)
            chunks.append(bytes(data))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
    matrix = np.frombuffer(b"".join(chunks), dtype="<f4").reshape(len(ids), dimension).astype(np.float32)
    return np.asarray(ids, dtype=np.int64), matrix


@dataclass(frozen=True)
class IndexReport:
    action: str  # "fresh", "updated", "rebuilt"
    count: int
    kind: str
    elapsed_s: float
    note: str = ""  # what went wrong with the saved files and how it was put right, if anything


def _save(index: VectorIndex, folder: Path) -> str:
    """Save the index; on failure keep serving it from memory and say why (the next sync retries)."""
    try:
        index.save(folder)
    except (OSError, RuntimeError) as exc:  # FAISS reports a failed write as RuntimeError
        why = "the disk is full" if is_disk_full(exc) or "No space left" in str(exc) else str(exc)
        log.warning("vector index not saved in %s (%s): searching the copy in memory", folder, why)
        return f"The index could not be saved in {folder} ({why}); searches use the copy in memory."
    return ""


def expected_index_kind(count: int, approximate_from: int) -> str:
    """The kind of index ``count`` vectors get: the same rule as ``VectorIndex.build``."""
    return KIND_HNSW if count >= approximate_from else KIND_FLAT


def sync_vector_index(*, session_factory: sessionmaker[Session], model_name: str, dimension: int, folder: Path,
                      approximate_from: int, current: VectorIndex | None = None) -> tuple[VectorIndex, IndexReport]:  # fmt: skip
    """Bring the saved index in line with the stored embeddings: keep, add to, or rebuild it.

    The store is the truth: a saved file that is missing, damaged or from another version is
    rebuilt from the stored vectors (nothing is embedded again) and the report's note says so.
    An index is fresh only if it is also of the kind ``approximate_from`` asks for (exact
    below it, HNSW at or above): a changed threshold rebuilds it even when no deal changed.
    """
    started = time.perf_counter()
    state = embedding_state(session_factory=session_factory, model_name=model_name)
    problem = ""
    if current is not None:
        index = current
    else:
        index, problem = VectorIndex.open(folder, model_name)
    if index is not None and index.dimension != dimension:
        index = None

    def report(action: str, idx: VectorIndex, note: str = "") -> tuple[VectorIndex, IndexReport]:
        if problem:
            note = f"The saved vector index could not be used ({problem}): rebuilt from the store. {note}".strip()
        return idx, IndexReport(action, idx.count, idx.kind, time.perf_counter() - started, note)

    expected_kind = expected_index_kind(state.count, approximate_from)
    if index is not None and index.kind != expected_kind:
        log.info("vector index is %s but %s vectors with approximate_from=%s ask for %s: rebuilding",
                 index.kind, state.count, approximate_from, expected_kind)  # fmt: skip
        index = None
    if index is not None and index.manifest.store_fingerprint == state.fingerprint:
        if current is not None and not index_paths(folder, model_name)[0].exists():
            # Deleted while the app ran: the copy in memory is current, write it back.
            log.warning("vector index file in %s was deleted: writing it again", folder)
            return report("fresh", index, _save(index, folder) or "The index file was missing: written again.")
        return report("fresh", index)
    if index is not None:
        old = EmbeddingState.parse(index.manifest.store_fingerprint)
        if old is not None and old.last_change is not None:
            ids, vectors = load_embeddings(session_factory=session_factory, model_name=model_name,
                                           dimension=dimension, changed_after=old.last_change)  # fmt: skip
            if index.update(ids, vectors, store_fingerprint=state.fingerprint) and index.count == state.count:
                return report("updated", index, _save(index, folder))
            log.info("vector index cannot be updated in place (%s vectors, %s stored): rebuilding",
                     index.count, state.count)  # fmt: skip
    ids, vectors = load_embeddings(session_factory=session_factory, model_name=model_name, dimension=dimension)
    index = VectorIndex.build(ids, vectors, model_name=model_name, dimension=dimension,
                              store_fingerprint=state.fingerprint, approximate_from=approximate_from)  # fmt: skip
    return report("rebuilt", index, _save(index, folder))
