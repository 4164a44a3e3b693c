"""Company description vectors in the SQL store, for peer proposals.

Stored like deal vectors (services/deal_embeddings.py): float32 bytes with the model's name
and the SHA-256 of the embedded text, so a later run embeds only companies that are new or
whose text changed, committed batch by batch (an interrupted run resumes where it stopped).
A peer proposal reads only the vectors of its candidates, by id.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.deal_embeddings import DEFAULT_BATCH, MAX_TEXT_CHARS, EmbedReport, text_sha256, vector_bytes
from workbench.embeddings import Embedder
from workbench.models import Company, CompanyEmbedding
from workbench.progress import ProgressCallback, no_progress

TEXT_COLUMNS = ("name", "description", "sector", "industry", "sub_industry")
# Bound parameters per IN (...) when reading candidates' vectors: under every driver's limit.
ID_CHUNK = 5000


def company_text(company: Mapping[str, Any]) -> str:
    """What a company is embedded from: name, description, then its sector and industries.

    Region and size are left out: a peer proposal scores them separately and explicitly.
    """
    def text(name: str) -> str:
        value = company.get(name)
        return value.strip() if isinstance(value, str) else ""

    facts = ", ".join(v for v in (text("sector"), text("industry"), text("sub_industry")) if v)
    parts = [text("name"), text("description"), facts]
    return ". ".join(p.rstrip(".") for p in parts if p)[:MAX_TEXT_CHARS]


def _pending(session: Session, model_name: str) -> tuple[int, list[tuple[int, str, str]]]:
    stored = dict(session.execute(
        select(CompanyEmbedding.company_id, CompanyEmbedding.text_sha256)
        .where(CompanyEmbedding.model_name == model_name)
    ).all())  # fmt: skip
    columns = [getattr(Company, c) for c in TEXT_COLUMNS]
    pending: list[tuple[int, str, str]] = []
    total = 0
    for row in session.execute(select(Company.id, *columns).order_by(Company.id)):
        total += 1
        text = company_text(dict(zip(TEXT_COLUMNS, row[1:])))
        digest = text_sha256(text)
        if stored.get(row[0]) != digest:
            pending.append((row[0], text, digest))
    return total, pending


def embed_companies(*, session_factory: sessionmaker[Session], embedder: Embedder, batch_size: int = DEFAULT_BATCH,
                    progress: ProgressCallback = no_progress,
                    should_stop: Callable[[], bool] | None = None) -> EmbedReport:  # fmt: skip
    """Embed the companies that are new or changed since their last embedding; commit per batch."""
    started = time.perf_counter()
    with session_factory() as session:
        total, pending = _pending(session, embedder.name)
    done = 0
    interrupted = False
    progress(0.0, f"Embedding {len(pending):,} of {total:,} companies")
    for start in range(0, len(pending), batch_size):
        if should_stop is not None and should_stop():
            interrupted = True
            break
        batch = pending[start:start + batch_size]
        vectors = embedder.encode([text for _, text, _ in batch], batch_size=batch_size)
        store_company_vectors(session_factory, embedder, [(cid, digest) for cid, _, digest in batch], vectors)
        done += len(batch)
        progress(done / max(len(pending), 1), f"Embedded {done:,} of {len(pending):,} companies")
    return EmbedReport(total=total, embedded=done, unchanged=total - len(pending),
                       elapsed_s=time.perf_counter() - started, interrupted=interrupted)  # fmt: skip


def store_company_vectors(session_factory: sessionmaker[Session], embedder: Embedder,
                          items: list[tuple[int, str]], vectors: np.ndarray) -> None:  # fmt: skip
    """Insert or replace the vectors of (company id, text hash) pairs in one transaction."""
    now = dt.datetime.now(dt.UTC)
    ids = [cid for cid, _ in items]
    with session_factory.begin() as session:
        # A company deleted since it was read is skipped, not a foreign-key error.
        alive = set(session.scalars(select(Company.id).where(Company.id.in_(ids))))
        existing = {e.company_id: e for e in session.scalars(
            select(CompanyEmbedding).where(CompanyEmbedding.model_name == embedder.name,
                                           CompanyEmbedding.company_id.in_(ids)))}  # fmt: skip
        for (company_id, digest), vector in zip(items, vectors):
            if company_id not in alive:
                continue
            row = existing.get(company_id)
            if row is None:
                session.add(CompanyEmbedding(company_id=company_id, model_name=embedder.name, text_sha256=digest,
                                             dimension=embedder.dimension, vector=vector_bytes(vector),
                                             created_at=now))  # fmt: skip
            else:
                row.text_sha256, row.dimension, row.vector, row.created_at = (
                    digest, embedder.dimension, vector_bytes(vector), now)


def load_company_vectors(session: Session, company_ids: Iterable[int], *, model_name: str,
                         dimension: int) -> dict[int, np.ndarray]:  # fmt: skip
    """The stored vectors of these companies for the model (companies without one are absent)."""
    ids = sorted({int(i) for i in company_ids})
    out: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        rows = session.execute(
            select(CompanyEmbedding.company_id, CompanyEmbedding.vector)
            .where(CompanyEmbedding.model_name == model_name, CompanyEmbedding.dimension == dimension,
                   CompanyEmbedding.company_id.in_(chunk))
        ).all()  # fmt: skip
        if rows:
            matrix = np.frombuffer(b"".join(bytes(v) for _, v in rows), dtype="<f4").reshape(len(rows), dimension)
            out.update({int(cid): matrix[i] for i, (cid, _) in enumerate(rows)})
    return out


def embedding_coverage(*, session_factory: sessionmaker[Session], model_name: str) -> tuple[int, int]:
    """(companies with a vector of this model, companies in the store)."""
    with session_factory() as session:
        embedded = session.scalar(select(func.count()).select_from(CompanyEmbedding)
                                  .where(CompanyEmbedding.model_name == model_name))  # fmt: skip
        total = session.scalar(select(func.count()).select_from(Company))
    return int(embedded or 0), int(total or 0)
