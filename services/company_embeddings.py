"""Company description vectors in the SQL store, for peer proposals.

Stored like deal vectors (services/deal_embeddings.py): float32 bytes with the model's name
and the SHA-256 of the embedded text, so a later run embeds only companies that are new or
whose text changed, committed batch by batch (an interrupted run resumes where it stopped).
A peer proposal reads only the vectors of its candidates, by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.stored_vectors import (
    DEFAULT_BATCH,
    MAX_TEXT_CHARS,
    EmbedReport,
    VectorTable,
    embed_new_or_changed,
)
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


COMPANIES = VectorTable(owner=Company, vectors=CompanyEmbedding, owner_key="company_id",
                        text_columns=TEXT_COLUMNS, text_of=company_text, noun="companies")


def embed_companies(*, session_factory: sessionmaker[Session], embedder: Embedder, batch_size: int = DEFAULT_BATCH,
                    progress: ProgressCallback = no_progress,
                    should_stop: Callable[[], bool] | None = None) -> EmbedReport:  # fmt: skip
    """Embed the companies that are new or changed since their last embedding; commit per batch."""
    return embed_new_or_changed(COMPANIES, session_factory=session_factory, embedder=embedder, batch_size=batch_size,
                                progress=progress, should_stop=should_stop)  # fmt: skip


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
