"""Several app replicas on one store, each with its own data folder: they search the same deals.

The deal vectors live in the store; each replica's vector index is a file it rebuilds or
updates from there, so no replica embeds what another already embedded.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, func, insert, select, update

from services.precedents import PrecedentEngine, PrecedentQuery, search_precedents
from workbench.embeddings import HashingEmbedder
from workbench.models import Deal, DealEmbedding

QUERY = PrecedentQuery(text="sponsor carve-out of a specialty chemicals unit", top=20)


class CountingEmbedder(HashingEmbedder):
    """Counts the deal texts it embeds (query texts aside)."""

    def __init__(self) -> None:
        super().__init__(64)
        self.deal_texts = 0

    def encode(self, texts, *, batch_size: int = 64):
        if texts != [QUERY.text]:
            self.deal_texts += len(texts)
        return super().encode(texts, batch_size=batch_size)


def _add(factory, key: str, name: str, description: str) -> None:
    with factory.begin() as s:
        s.add(Deal(key=key, name=name, deal_type="ma", status="completed", sector="Materials",
                   announced_date=dt.date(2024, 1, 1), description=description))  # fmt: skip


def _hits(store, engine, embedder) -> list[tuple[str, float]]:
    result = search_precedents(QUERY, session_factory=store.session_factory, embedder=embedder, engine=engine)
    return [(k, round(s, 6)) for k, s in zip(result.hits["key"], result.hits["score"])]


def test_two_replicas_share_one_store_and_search_the_same_deals_without_re_embedding(store, tmp_path):
    factory = store.session_factory
    for i, word in enumerate(["chemicals", "software", "banking", "coatings", "utilities", "pharma"]):
        _add(factory, f"D{i}", f"{word.title()} acquisition", f"A sponsor bought a {word} business.")
    a_embedder, b_embedder = CountingEmbedder(), CountingEmbedder()
    replica_a = PrecedentEngine(folder=tmp_path / "a" / "index", approximate_from=1000)
    replica_b = PrecedentEngine(folder=tmp_path / "b" / "index", approximate_from=1000)

    first = _hits(store, replica_a, a_embedder)
    assert a_embedder.deal_texts == 6
    assert _hits(store, replica_b, b_embedder) == first  # B built its index from the store...
    assert b_embedder.deal_texts == 0  # ...embedding nothing

    _add(factory, "D6", "Specialty chemicals carve-out", "A sponsor carve-out of a specialty chemicals unit.")
    with factory.begin() as s:  # and a deal whose text changed
        s.execute(update(Deal).where(Deal.key == "D1").values(description="A sponsor bought a chemicals distributor."))
    b_hits = _hits(store, replica_b, b_embedder)  # B sees the changes first and embeds them
    assert b_embedder.deal_texts == 2
    assert _hits(store, replica_a, a_embedder) == b_hits  # A updates its index from B's vectors
    assert a_embedder.deal_texts == 6 and "D6" in {k for k, _ in b_hits}
    assert replica_a.refresh(session_factory=factory, embedder=a_embedder).index.count == 7
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(DealEmbedding)) == 7


def test_replicas_embedding_the_same_new_deal_at_once_both_succeed(store, tmp_path):
    factory = store.session_factory
    _add(factory, "R0", "Chemicals deal", "A chemicals business.")
    _add(factory, "R1", "Software deal", "A software business.")
    embedder = HashingEmbedder(64)
    with factory() as s:
        r0 = s.scalar(select(Deal.id).where(Deal.key == "R0"))
    raced = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def other_replica_writes_first(conn, cursor, statement, *_args):
        # Just before this replica inserts its vectors, another one commits R0's.
        if not raced and statement.lstrip().upper().startswith("INSERT INTO DEAL_EMBEDDINGS"):
            raced.append(True)
            with store.engine.begin() as other:
                other.execute(insert(DealEmbedding).values(deal_id=r0, model_name=embedder.name, text_sha256="other",
                                                           dimension=64, vector=b"\0" * 256))  # fmt: skip

    try:
        status = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000).refresh(
            session_factory=factory, embedder=embedder)  # fmt: skip
    finally:
        event.remove(store.engine, "before_cursor_execute", other_replica_writes_first)
    assert raced and status.embedded.embedded == 2 and status.index.count == 2
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(DealEmbedding)) == 2
        assert "other" not in s.scalars(select(DealEmbedding.text_sha256)).all()  # ours replaced theirs
