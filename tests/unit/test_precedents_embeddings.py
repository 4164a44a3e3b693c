"""Deal embeddings: only new or changed deals are embedded, batches commit, runs resume."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from services.deal_embeddings import (deal_text, embed_deals, embedding_state, load_embeddings,
                                      sync_vector_index)
from workbench.embeddings import HashingEmbedder
from workbench.models import Deal, DealEmbedding
from workbench.vector_index import index_paths

from precedent_store import DEALS, CountingEmbedder, add_deals


def test_deal_text_holds_name_description_and_facts():
    text = deal_text(DEALS[0])
    assert text.startswith("Sponsor carve-out of European specialty chemicals unit. A private equity")
    assert "M&A, Materials, Europe" in text
    assert deal_text({"name": "X", "description": float("nan")}) == "X"


def test_second_run_embeds_only_new_and_changed_deals(sqlite_store):
    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = CountingEmbedder()
    first = embed_deals(session_factory=factory, embedder=embedder, batch_size=4)
    assert (first.embedded, first.unchanged, first.total) == (6, 0, 6)
    assert embed_deals(session_factory=factory, embedder=embedder).embedded == 0
    with factory.begin() as s:
        s.execute(update(Deal).where(Deal.key == "D3").values(description="Adobe bought EchoSign for e-signatures."))
        s.execute(update(Deal).where(Deal.key == "D4").values(size_usd_m=800.0))  # not part of the text
    embedder.texts.clear()
    again = embed_deals(session_factory=factory, embedder=embedder)
    assert again.embedded == 1 and "EchoSign for e-signatures" in embedder.texts[0]
    with factory() as s:
        rows = s.scalars(select(DealEmbedding)).all()
    assert len(rows) == 6 and {r.dimension for r in rows} == {32}


def test_interrupted_run_keeps_finished_batches_and_the_next_run_resumes(sqlite_store):
    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = CountingEmbedder()
    calls = iter([False, True])
    report = embed_deals(session_factory=factory, embedder=embedder, batch_size=2, should_stop=lambda: next(calls))
    assert report.interrupted and report.embedded == 2
    assert embedding_state(session_factory=factory, model_name=embedder.name).count == 2
    resumed = embed_deals(session_factory=factory, embedder=embedder, batch_size=2)
    assert resumed.embedded == 4 and resumed.unchanged == 2


def test_failed_batch_rolls_back_only_itself(sqlite_store):
    factory = sqlite_store.session_factory
    add_deals(factory)

    class Failing(CountingEmbedder):
        def encode(self, texts, *, batch_size: int = 64):
            if len(self.texts) >= 2:
                raise KeyboardInterrupt
            return super().encode(texts, batch_size=batch_size)

    embedder = Failing()
    with pytest.raises(KeyboardInterrupt):
        embed_deals(session_factory=factory, embedder=embedder, batch_size=2)
    assert embedding_state(session_factory=factory, model_name=embedder.name).count == 2


def test_stored_vectors_round_trip_as_float32(sqlite_store):
    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = HashingEmbedder(32)
    embed_deals(session_factory=factory, embedder=embedder)
    ids, vectors = load_embeddings(session_factory=factory, model_name=embedder.name, dimension=32)
    assert len(ids) == 6 and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0], embedder.encode([deal_text(DEALS[0])])[0], atol=1e-6)


def test_index_is_kept_then_updated_then_rebuilt_as_the_store_changes(sqlite_store, tmp_path):
    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = HashingEmbedder(32)
    embed_deals(session_factory=factory, embedder=embedder)
    kw = dict(session_factory=factory, model_name=embedder.name, dimension=32, folder=tmp_path, approximate_from=1000)
    index, report = sync_vector_index(**kw)
    assert report.action == "rebuilt" and index.count == 6
    assert sync_vector_index(**kw)[1].action == "fresh"  # loaded from disk, same fingerprint
    add_deals(factory, [dict(key="D7", name="New deal", deal_type="ma", description="fresh text")])
    embed_deals(session_factory=factory, embedder=embedder)
    index, report = sync_vector_index(**kw)
    assert report.action == "updated" and index.count == 7
    with factory.begin() as s:
        s.execute(delete(Deal).where(Deal.key == "D1"))  # its embedding goes with it (cascade)
    index, report = sync_vector_index(**kw, current=index)
    assert report.action == "rebuilt" and index.count == 6


def test_corrupt_index_file_is_rebuilt_not_fatal(sqlite_store, tmp_path, caplog):
    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = HashingEmbedder(32)
    embed_deals(session_factory=factory, embedder=embedder)
    kw = dict(session_factory=factory, model_name=embedder.name, dimension=32, folder=tmp_path, approximate_from=1000)
    sync_vector_index(**kw)
    index_paths(tmp_path, embedder.name)[0].write_bytes(b"\x00" * 100)
    index, report = sync_vector_index(**kw)
    assert report.action == "rebuilt" and index.count == 6
    assert "unreadable" in caplog.text


def test_a_changed_approximate_threshold_rebuilds_an_index_that_is_otherwise_fresh(sqlite_store, tmp_path):
    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = HashingEmbedder(32)
    embed_deals(session_factory=factory, embedder=embedder)
    kw = dict(session_factory=factory, model_name=embedder.name, dimension=32, folder=tmp_path)
    index, report = sync_vector_index(**kw, approximate_from=1000)
    assert (report.action, index.kind) == ("rebuilt", "flat")
    # Same store, threshold lowered below the 6 deals: from the saved file and from memory alike.
    for current in (None, index):
        index, report = sync_vector_index(**kw, approximate_from=5, current=current)
        assert (report.action, index.kind, index.count) == ("rebuilt", "hnsw", 6)
    index, report = sync_vector_index(**kw, approximate_from=5)
    assert (report.action, index.kind) == ("fresh", "hnsw")  # saved as HNSW: nothing to do now
    # Raised above the deal count again: back to an exact index.
    index, report = sync_vector_index(**kw, approximate_from=1000, current=index)
    assert (report.action, index.kind, index.count) == ("rebuilt", "flat", 6)
    assert sync_vector_index(**kw, approximate_from=1000)[1].action == "fresh"


def test_engine_built_with_a_new_threshold_serves_the_kind_it_asks_for(sqlite_store, tmp_path):
    from services.precedents import PrecedentEngine

    factory = sqlite_store.session_factory
    add_deals(factory)
    embedder = HashingEmbedder(32)
    first = PrecedentEngine(folder=tmp_path, approximate_from=1000).refresh(session_factory=factory, embedder=embedder)
    assert first.index.kind == "flat"
    # As after a restart with WORKBENCH_INDEX_APPROXIMATE_FROM=3: no deal changed.
    status = PrecedentEngine(folder=tmp_path, approximate_from=3).refresh(session_factory=factory, embedder=embedder)
    assert (status.index.action, status.index.kind) == ("rebuilt", "hnsw")
