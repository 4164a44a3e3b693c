"""The FAISS deal index: exact and HNSW search, filters, save/load, corrupt files, updates."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from workbench.vector_index import KIND_FLAT, KIND_HNSW, VectorIndex, index_paths


def _unit(rows: int, dim: int = 16, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _build(n: int = 50, approximate_from: int = 1000, ids: np.ndarray | None = None) -> VectorIndex:
    ids = np.arange(100, 100 + n, dtype=np.int64) if ids is None else ids
    return VectorIndex.build(ids, _unit(n), model_name="m", dimension=16, store_fingerprint="fp",
                             approximate_from=approximate_from)


def test_exact_index_returns_the_nearest_deal_ids_best_first():
    vectors = _unit(50)
    index = VectorIndex.build(np.arange(100, 150), vectors, model_name="m", dimension=16,
                              store_fingerprint="fp", approximate_from=1000)
    scores, ids = index.search(vectors[7], 3)
    assert index.kind == KIND_FLAT
    assert ids[0] == 107 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)


def test_index_becomes_approximate_at_the_configured_size():
    assert _build(50, approximate_from=50).kind == KIND_HNSW
    assert _build(49, approximate_from=50).kind == KIND_FLAT


@pytest.mark.parametrize("approximate_from", [1000, 10])
def test_search_with_allowed_ids_returns_only_those(approximate_from):
    index = _build(200, approximate_from=approximate_from)
    allowed = np.array([105, 150, 299], dtype=np.int64)
    _, ids = index.search(_unit(1, seed=9)[0], 10, allowed_ids=allowed)
    assert set(ids) <= set(allowed.tolist()) and len(ids) == 3
    _, none = index.search(_unit(1, seed=9)[0], 10, allowed_ids=np.array([], dtype=np.int64))
    assert len(none) == 0


def test_hnsw_filtered_search_with_a_large_allowed_set_matches_exact_search():
    vectors = _unit(3000, seed=3)
    ids = np.arange(3000, dtype=np.int64)
    hnsw = VectorIndex.build(ids, vectors, model_name="m", dimension=16, store_fingerprint="fp", approximate_from=10)
    flat = VectorIndex.build(ids, vectors, model_name="m", dimension=16, store_fingerprint="fp", approximate_from=10**6)
    allowed = ids[ids % 2 == 0]
    q = _unit(1, seed=5)[0]
    _, got = hnsw.search(q, 10, allowed_ids=allowed)
    _, want = flat.search(q, 10, allowed_ids=allowed)
    assert all(i % 2 == 0 for i in got)
    assert len(set(got) & set(want)) >= 9


def test_saved_index_loads_with_its_manifest(tmp_path):
    index = _build(30)
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, "m")
    assert loaded is not None and loaded.count == 30 and loaded.manifest.store_fingerprint == "fp"
    manifest = json.loads(index_paths(tmp_path, "m")[1].read_text())
    assert {"model_name", "count", "dimension", "built_at", "store_fingerprint", "kind"} <= set(manifest)
    q = _unit(30)[4]
    assert list(loaded.search(q, 5)[1]) == list(index.search(q, 5)[1])


def test_corrupt_index_file_loads_as_none_with_a_log_line(tmp_path, caplog):
    _build(30).save(tmp_path)
    index_paths(tmp_path, "m")[0].write_bytes(b"not a faiss index at all")
    with caplog.at_level(logging.WARNING):
        assert VectorIndex.load(tmp_path, "m") is None
    assert "unreadable" in caplog.text


def test_manifest_that_disagrees_with_the_file_loads_as_none(tmp_path):
    _build(30).save(tmp_path)
    path = index_paths(tmp_path, "m")[1]
    data = json.loads(path.read_text())
    data["count"] = 31
    path.write_text(json.dumps(data))
    assert VectorIndex.load(tmp_path, "m") is None
    path.write_text("{ broken json")
    assert VectorIndex.load(tmp_path, "m") is None


def test_missing_index_or_other_model_loads_as_none(tmp_path):
    assert VectorIndex.load(tmp_path, "m") is None
    _build(5).save(tmp_path)
    assert VectorIndex.load(tmp_path, "other-model") is None


def test_exact_index_adds_new_and_replaces_changed_vectors_in_place():
    index = _build(10)
    new = _unit(2, seed=42)
    assert index.update(np.array([103, 500]), new, store_fingerprint="fp2")
    assert index.count == 11 and index.manifest.store_fingerprint == "fp2"
    assert index.search(new[0], 1)[1][0] == 103
    assert index.search(new[1], 1)[1][0] == 500


def test_hnsw_index_adds_new_ids_but_asks_for_a_rebuild_on_a_changed_one():
    index = _build(20, approximate_from=5)
    assert index.update(np.array([900]), _unit(1, seed=8), store_fingerprint="fp2")
    assert index.count == 21
    assert not index.update(np.array([100]), _unit(1, seed=8), store_fingerprint="fp3")
