"""Sentence vectors kept in the SQL store, one row per (owner row, model).

Deals (precedent search) and companies (peer proposals) are embedded the same way: the
vector is stored as float32 bytes with the model's name and the SHA-256 of the embedded
text, so a later run embeds only rows that are new or whose text changed. Work is committed
batch by batch: an interrupted run keeps what it finished and the next run resumes there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from workbench.embeddings import Embedder
from workbench.progress import ProgressCallback, no_progress

log = logging.getLogger(__name__)

DEFAULT_BATCH = 128
# MiniLM reads at most 256 word pieces; longer text only costs time.
MAX_TEXT_CHARS = 1500


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes, dimension: int) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4", count=dimension).astype(np.float32)


@dataclass(frozen=True)
class EmbedReport:
    total: int
    embedded: int
    unchanged: int
    elapsed_s: float
    interrupted: bool = False

    @property
    def rows_per_s(self) -> float:
        return self.embedded / self.elapsed_s if self.elapsed_s > 0 else 0.0

    deals_per_s = rows_per_s


@dataclass(frozen=True)
class VectorTable:
    """Which rows are embedded from what, and where their vectors live."""

    owner: type  # the ORM model embedded (Deal, Company)
    vectors: type  # its vector model (DealEmbedding, CompanyEmbedding)
    owner_key: str  # the vector model's column pointing at the owner ("deal_id")
    text_columns: tuple[str, ...]
    text_of: Callable[[Mapping[str, Any]], str]
    noun: str  # "deals", "companies": for progress messages


def _pending(session: Session, table: VectorTable, model_name: str) -> tuple[int, list[tuple[int, str, str]]]:
    key = getattr(table.vectors, table.owner_key)
    stored = dict(session.execute(
        select(key, table.vectors.text_sha256).where(table.vectors.model_name == model_name)  # type: ignore[attr-defined]
    ).all())  # fmt: skip
    columns = [getattr(table.owner, c) for c in table.text_columns]
    pending: list[tuple[int, str, str]] = []
    total = 0
    for row in session.execute(select(table.owner.id, *columns).order_by(table.owner.id)):  # type: ignore[attr-defined]
        total += 1
        text = table.text_of(dict(zip(table.text_columns, row[1:])))
        digest = text_sha256(text)
        if stored.get(row[0]) != digest:
            pending.append((row[0], text, digest))
    return total, pending


def embed_new_or_changed(table: VectorTable, *, session_factory: sessionmaker[Session], embedder: Embedder,
                         batch_size: int = DEFAULT_BATCH, progress: ProgressCallback = no_progress,
                         should_stop: Callable[[], bool] | None = None) -> EmbedReport:  # fmt: skip
    """Embed the rows that are new or changed since their last embedding; commit per batch.

    ``should_stop`` is asked between batches: when it answers True the run ends early and
    keeps what it committed (as does Ctrl-C). The next run carries on from there.
    """
    started = time.perf_counter()
    with session_factory() as session:
        total, pending = _pending(session, table, embedder.name)
    done = 0
    interrupted = False
    progress(0.0, f"Embedding {len(pending):,} of {total:,} {table.noun}")
    for start in range(0, len(pending), batch_size):
        if should_stop is not None and should_stop():
            interrupted = True
            break
        batch = [(row_id, digest) for row_id, _, digest in pending[start:start + batch_size]]
        vectors = embedder.encode([text for _, text, _ in pending[start:start + batch_size]], batch_size=batch_size)
        try:
            store_vectors(table, session_factory, embedder, batch, vectors)
        except IntegrityError:
            # Another replica stored some of these rows' vectors between our read and our
            # write (same row, same model: the unique key). Write again over theirs.
            log.info("%s vectors written concurrently by another process: retrying the batch", table.noun)
            store_vectors(table, session_factory, embedder, batch, vectors)
        done += len(batch)
        progress(done / max(len(pending), 1), f"Embedded {done:,} of {len(pending):,} {table.noun}")
    return EmbedReport(total=total, embedded=done, unchanged=total - len(pending),
                       elapsed_s=time.perf_counter() - started, interrupted=interrupted)  # fmt: skip


def store_vectors(table: VectorTable, session_factory: sessionmaker[Session], embedder: Embedder,
                  items: list[tuple[int, str]], vectors: np.ndarray) -> None:  # fmt: skip
    """Insert or replace the vectors of (row id, text hash) pairs in one transaction."""
    now = dt.datetime.now(dt.UTC)
    ids = [row_id for row_id, _ in items]
    key = getattr(table.vectors, table.owner_key)
    with session_factory.begin() as session:
        # A row deleted since it was read is skipped, not a foreign-key error.
        alive = set(session.scalars(select(table.owner.id).where(table.owner.id.in_(ids))))  # type: ignore[attr-defined]
        existing = {getattr(e, table.owner_key): e for e in session.scalars(
            select(table.vectors).where(table.vectors.model_name == embedder.name, key.in_(ids)))}  # type: ignore[attr-defined]  # fmt: skip
        for (row_id, digest), vector in zip(items, vectors):
            if row_id not in alive:
                continue
            row = existing.get(row_id)
            if row is None:
                session.add(table.vectors(**{table.owner_key: row_id}, model_name=embedder.name, text_sha256=digest,
                                          dimension=embedder.dimension, vector=vector_bytes(vector),
                                          created_at=now))  # fmt: skip
            else:
                row.text_sha256, row.dimension, row.vector, row.created_at = (
                    digest, embedder.dimension, vector_bytes(vector), now)
