"""An import can bring the precedents index up to date: the after_import hook of run_import."""

from __future__ import annotations

import pytest
from precedent_store import add_deals
from sqlalchemy import select

from services.imports import run_import, source_from_bytes
from services.precedents import PrecedentEngine, PrecedentQuery, index_after_import, search_precedents
from workbench.models import Deal

from precedent_store import CountingEmbedder

DEALS_CSV = (b"Deal ID,Deal Name,Deal Type,Announced Date,Deal Value\n"
             b"N1,Zirconium sands miner bought,ma,2026-06-02,10\n"
             b"N2,Hafnium refiner IPO,ipo,2026-06-03,20\n")  # fmt: skip


@pytest.fixture
def setup(sqlite_store, tmp_path):
    factory = sqlite_store.session_factory
    add_deals(factory)
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)
    embedder = CountingEmbedder(64)
    loads: list[str] = []

    def load_embedder():
        loads.append("load")
        return embedder

    engine.refresh(session_factory=factory, embedder=embedder)  # the app had searched before the import
    embedder.texts.clear()
    return factory, engine, embedder, load_embedder, loads


def test_deals_import_embeds_the_new_deals_and_updates_the_index(setup):
    factory, engine, embedder, load_embedder, loads = setup
    progress: list[float] = []
    result = run_import(source_from_bytes("deals.csv", DEALS_CSV), "deals", session_factory=factory, user="ana",
                        progress=lambda f, m: progress.append(f),
                        after_import=index_after_import(engine=engine, embedder=load_embedder))  # fmt: skip
    assert result.inserted == 2 and loads == ["load"]
    assert len(embedder.texts) == 2 and all("IPO" in t or "Zirconium" in t for t in embedder.texts)
    assert any(n.startswith("precedents index updated") and "2 deals embedded" in n and "8 deals" in n
               for n in result.notes), result.notes  # fmt: skip
    assert progress == sorted(progress) and progress[-1] == 1.0  # one bar: the import, then the index
    embedder.texts.clear()
    status = engine.refresh(session_factory=factory, embedder=embedder)
    assert status.embedded is None and status.index.action == "fresh" and status.index.count == 8
    hits = search_precedents(PrecedentQuery(text="zirconium sands", top=1), session_factory=factory,
                             embedder=embedder, engine=engine).hits  # fmt: skip
    assert hits["key"].iat[0] == "N1" and embedder.texts == ["zirconium sands"]  # only the query was embedded


def test_other_imports_do_not_load_the_embedder(setup):
    factory, engine, _, load_embedder, loads = setup
    result = run_import(source_from_bytes("c.csv", b"Ticker,Company Name\nZZ,Zed Co\n"), "companies",
                        session_factory=factory, user="ana",
                        after_import=index_after_import(engine=engine, embedder=load_embedder))  # fmt: skip
    assert result.inserted == 1 and loads == [] and result.notes == []


def test_a_failing_step_after_the_import_is_a_note_and_the_rows_stay(setup):
    factory, engine, _, _, _ = setup

    def broken_embedder():
        raise RuntimeError("model folder is missing")

    def broken_hook(kind, session_factory, progress):
        raise ValueError("boom")

    result = run_import(source_from_bytes("deals.csv", DEALS_CSV), "deals", session_factory=factory, user="ana",
                        after_import=index_after_import(engine=engine, embedder=broken_embedder))  # fmt: skip
    assert result.inserted == 2
    assert any("precedents index was not updated (model folder is missing)" in n for n in result.notes)
    again = run_import(source_from_bytes("deals.csv", DEALS_CSV), "deals", session_factory=factory, user="ana",
                       after_import=broken_hook)
    assert again.updated == 2 and any("the step after the import failed: boom" in n for n in again.notes)
    with factory() as s:
        assert {"N1", "N2"} <= set(s.scalars(select(Deal.key)))
