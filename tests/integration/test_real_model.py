"""Precedent search with the real packaged MiniLM model (slow: loads torch)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.precedents import PrecedentEngine, PrecedentQuery, search_precedents
from workbench.embeddings import load_embedder
from workbench.models import Deal

pytestmark = pytest.mark.model

DEALS = [
    ("M1", "EchoSign acquisition", "Adobe acquired EchoSign, a maker of electronic signature and contract software."),
    ("M2", "Coatings take-private", "A sponsor took private a listed maker of industrial paints and coatings."),
    ("M3", "Regional bank merger", "Two regional lenders combined their branch networks and deposits."),
    ("M4", "Wind farm bond", "A utility issued green bonds to fund offshore wind turbines."),
]


@pytest.fixture(scope="module")
def model():
    return load_embedder("all-MiniLM-L6-v2")


@pytest.fixture
def search(sqlite_store, tmp_path, model):
    with sqlite_store.session_factory.begin() as s:
        for i, (key, name, text) in enumerate(DEALS):
            s.add(Deal(key=key, name=name, deal_type="ma", description=text, announced_date=dt.date(2020, 1, i + 1)))
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)

    def run(**kw):
        return search_precedents(PrecedentQuery(**kw), session_factory=sqlite_store.session_factory,
                                 embedder=model, engine=engine)

    return run


def test_model_vectors_are_normalised_384_floats(model):
    vectors = model.encode(["a deal", "another deal"])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4


@pytest.mark.parametrize(("query", "expected"), [
    ("e-signature software company bought by a tech giant", "M1"),
    ("private equity buyout of a paint manufacturer", "M2"),
    ("renewable energy financing for a power company", "M4"),
])
def test_paraphrased_situation_finds_the_deal_without_shared_words(search, query, expected):
    result = search(text=query, top=2)
    assert result.hits["key"].iat[0] == expected
    assert result.hits["part_text"].iat[0] > 0


def test_more_like_a_deal_reuses_its_stored_vector(search):
    hits = search(deal_key="M3", top=3).hits
    assert "M3" not in set(hits["key"]) and len(hits) == 3


def test_the_app_server_runs_the_model_on_the_threads_it_is_given():
    # The app passes WORKBENCH_APP_MODEL_THREADS (default 1): the model's calls are serialised,
    # so extra threads per call would only spin on the cores the other sessions need.
    import torch

    before = torch.get_num_threads()
    try:
        limited = load_embedder("all-MiniLM-L6-v2", threads=1)
        assert torch.get_num_threads() == 1
        assert limited.encode(["a deal"]).shape == (1, 384)
    finally:
        torch.set_num_threads(before)
