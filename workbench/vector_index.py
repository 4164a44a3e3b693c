"""A FAISS index of deal vectors, keyed by deal id, saved in the data folder with a manifest.

Vectors are L2-normalised, so inner product is cosine similarity. Below
``approximate_from`` vectors the index is exact (``IndexFlatIP``); above it, HNSW
(``IndexHNSWFlat``). Both sit in an ``IndexIDMap2`` so that hits come back as deal ids
and new deals are added without a rebuild. The manifest (JSON beside the index) says which
model, how many vectors, when, from which state of the store, which kind of index, and the
CRC-32 of the index file: a manifest that disagrees with the store marks the file stale, and
a file that is missing, cut short or overwritten is rebuilt from the store (logged, and said
in the sync report), never fatal. Both files are written to a temporary name and renamed, so
a process killed mid-save leaves the previous pair (or none), never half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from workbench.files import atomic_target, remove_stale_temporaries

log = logging.getLogger(__name__)

# 2: the manifest holds the index file's checksum.
MANIFEST_VERSION = 2
KIND_FLAT = "flat"
KIND_HNSW = "hnsw"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# Below this share of the index, a filtered search scores the allowed vectors exactly:
# it is cheap then, and a graph walk with most nodes filtered out loses recall.
EXACT_FILTER_SHARE = 0.02


@dataclass(frozen=True)
class IndexManifest:
    model_name: str
    count: int
    dimension: int
    built_at: str
    store_fingerprint: str
    kind: str
    version: int = MANIFEST_VERSION
    checksum: str = ""  # CRC-32 of the index file, set when saved

    @classmethod
    def from_json(cls, text: str) -> IndexManifest:
        data = json.loads(text)
        # An older manifest lacks newer fields: it loads, and its version asks for a rebuild.
        data.setdefault("version", 0)
        data.setdefault("checksum", "")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def file_checksum(path: Path) -> str:
    crc = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 23), b""):
            crc = zlib.crc32(chunk, crc)
    return f"crc32:{crc:08x}"


def _faiss(threads: int = 1):
    # faiss announces at INFO every CPU build it tries before the one that loads.
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    import faiss

    # One query gains nothing from threads, and idle OpenMP workers spin against torch's:
    # only builds use (at most two) threads.
    faiss.omp_set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
    return faiss


def index_paths(folder: Path, model_name: str) -> tuple[Path, Path]:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("._") or "model"
    return folder / f"deals-{stem}.faiss", folder / f"deals-{stem}.json"


def _as_matrix(vectors: np.ndarray, dimension: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dimension))
    return matrix


class VectorIndex:
    """Deal vectors searchable by cosine similarity, with optional allowed-id filters."""

    def __init__(self, index, manifest: IndexManifest) -> None:  # index: faiss.IndexIDMap2
        self._index = index
        self.manifest = manifest
        # Searches and in-place updates may come from several app sessions at once.
        self._lock = threading.RLock()

    # --- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, *, model_name: str, dimension: int,
              store_fingerprint: str, approximate_from: int) -> VectorIndex:  # fmt: skip
        """A new index over ``vectors``: exact below ``approximate_from`` vectors, HNSW at or above."""
        faiss = _faiss(threads=2)
        ids = np.ascontiguousarray(np.asarray(ids, dtype=np.int64))
        matrix = _as_matrix(vectors, dimension)
        if len(ids) != len(matrix):
            raise ValueError(f"{len(ids)} ids for {len(matrix)} vectors")
        kind = KIND_HNSW if len(ids) >= approximate_from else KIND_FLAT
        if kind == KIND_HNSW:
            inner = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(matrix, ids)
        manifest = IndexManifest(model_name=model_name, count=int(index.ntotal), dimension=dimension,
                                 built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                 store_fingerprint=store_fingerprint, kind=kind)  # fmt: skip
        return cls(index, manifest)

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return self.manifest.dimension

    def ids(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def memory_bytes(self) -> int:
        """Size of the serialised index: close to what it holds in memory."""
        import faiss

        return int(faiss.serialize_index(self._index).nbytes)

    def update(self, ids: np.ndarray, vectors: np.ndarray, *, store_fingerprint: str) -> bool:
        """Add new deals and replace changed ones in place; False when only a rebuild can do it.

        HNSW graphs cannot drop a node, so a changed vector in an HNSW index asks for a rebuild.
        """
        ids = np.ascontiguousarray(np.asarray(ids, dtype=np.int64))
        matrix = _as_matrix(vectors, self.dimension)
        with self._lock:
            present = np.isin(ids, self.ids()) if len(ids) else np.zeros(0, dtype=bool)
            if present.any():
                if self.kind == KIND_HNSW:
                    return False
                import faiss

                self._index.remove_ids(faiss.IDSelectorBatch(ids[present]))
            if len(ids):
                self._index.add_with_ids(matrix, ids)
            self.manifest = IndexManifest(
                model_name=self.manifest.model_name, count=self.count, dimension=self.dimension,
                built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                store_fingerprint=store_fingerprint, kind=self.kind)  # fmt: skip
        return True

    def remove(self, ids: np.ndarray, *, store_fingerprint: str) -> bool:
        """Drop deals from an exact index; False for HNSW (rebuild instead)."""
        if self.kind == KIND_HNSW:
            return False
        import faiss

        with self._lock:
            self._index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))
            self.manifest = IndexManifest(
                model_name=self.manifest.model_name, count=self.count, dimension=self.dimension,
                built_at=self.manifest.built_at, store_fingerprint=store_fingerprint, kind=self.kind)  # fmt: skip
        return True

    # --- searching ------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, *, allowed_ids: np.ndarray | None = None,
               ef_search: int | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The ``k`` nearest deal ids and their cosine similarities, best first.

        ``allowed_ids`` restricts the search to those deals (structured pre-filters). Only
        real hits are returned: fewer than ``k`` when fewer deals are allowed.
        """
        with self._lock:
            return self._search(query, k, allowed_ids=allowed_ids, ef_search=ef_search)

    def _search(self, query: np.ndarray, k: int, *, allowed_ids: np.ndarray | None,
                ef_search: int | None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        faiss = _faiss()
        q = _as_matrix(query, self.dimension)[:1]
        if k <= 0 or self.count == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        k = min(k, self.count)
        if allowed_ids is not None:
            allowed_ids = np.asarray(allowed_ids, dtype=np.int64)
            if len(allowed_ids) == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            if self.kind == KIND_FLAT or len(allowed_ids) <= max(k, EXACT_FILTER_SHARE * self.count):
                return self._exact_subset(q[0], k, allowed_ids)
            top = int(allowed_ids.max()) + 1
            bitmap = np.packbits(np.bincount(allowed_ids[allowed_ids >= 0], minlength=top).astype(bool),
                                 bitorder="little")  # fmt: skip
            selector = faiss.IDSelectorBitmap(top, faiss.swig_ptr(bitmap))
            # A filter hides most of the graph: widen the walk as the allowed share shrinks.
            share = len(allowed_ids) / self.count
            ef = int(min(1024, max(ef_search or HNSW_EF_SEARCH, k) / max(share, 0.125)))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(ef, k))
            scores, ids = self._index.search(q, k, params=params)
        elif self.kind == KIND_HNSW:
            params = faiss.SearchParametersHNSW(efSearch=max(ef_search or HNSW_EF_SEARCH, k))
            scores, ids = self._index.search(q, k, params=params)
        else:
            scores, ids = self._index.search(q, k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def _exact_subset(self, q: np.ndarray, k: int, allowed_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        present = allowed_ids[np.isin(allowed_ids, self.ids())] if self.kind == KIND_FLAT else allowed_ids
        if len(present) == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        try:
            vectors = self._index.reconstruct_batch(np.ascontiguousarray(present))
        except RuntimeError:  # an id the index does not hold
            present = present[np.isin(present, self.ids())]
            vectors = self._index.reconstruct_batch(np.ascontiguousarray(present))
        scores = vectors @ q
        order = np.argsort(-scores, kind="stable")[:k]
        return scores[order].astype(np.float32), present[order]

    def exact_scores(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query to each given deal (NaN where the index lacks it)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), np.nan, dtype=np.float32)
        with self._lock:
            held = np.isin(ids, self.ids())
            if held.any():
                vectors = self._index.reconstruct_batch(np.ascontiguousarray(ids[held]))
                out[held] = vectors @ _as_matrix(query, self.dimension)[0]
        return out

    def vector_of(self, deal_id: int) -> np.ndarray | None:
        try:
            with self._lock:
                return np.asarray(self._index.reconstruct(int(deal_id)), dtype=np.float32)
        except RuntimeError:  # not in the index
            return None

    # --- files ----------------------------------------------------------------------------
    def save(self, folder: Path) -> Path:
        """Write the index, then its manifest, each atomically (a crash leaves the old pair).

        The manifest names the index file's checksum: an index renamed into place without its
        manifest (a kill between the two renames) is seen as damaged and rebuilt.
        """
        faiss = _faiss()
        index_path, manifest_path = index_paths(folder, self.manifest.model_name)
        with self._lock:
            with atomic_target(index_path) as tmp_index:
                faiss.write_index(self._index, str(tmp_index))
                checksum = file_checksum(tmp_index)
            manifest = IndexManifest(**{**asdict(self.manifest), "checksum": checksum})
            with atomic_target(manifest_path) as tmp_manifest:
                tmp_manifest.write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
            self.manifest = manifest
        return index_path

    @classmethod
    def load(cls, folder: Path, model_name: str) -> VectorIndex | None:
        """The saved index, or None when absent or unreadable (the caller rebuilds)."""
        return cls.open(folder, model_name)[0]

    @classmethod
    def open(cls, folder: Path, model_name: str) -> tuple[VectorIndex | None, str]:
        """The saved index and "", or None and why it cannot be used ("" when none was ever saved)."""
        index_path, manifest_path = index_paths(folder, model_name)
        remove_stale_temporaries(folder)
        if not index_path.exists() and not manifest_path.exists():
            return None, ""
        if not index_path.exists() or not manifest_path.exists():
            missing = index_path if not index_path.exists() else manifest_path
            return cls._unusable(index_path, f"{missing.name} is missing")
        try:
            manifest = IndexManifest.from_json(manifest_path.read_text(encoding="utf-8"))
            if manifest.version != MANIFEST_VERSION or manifest.model_name != model_name:
                return cls._unusable(index_path, "it was built by another version or model")
            if file_checksum(index_path) != manifest.checksum:
                return cls._unusable(index_path, "the file is unreadable (damaged: its checksum does not match)")
            index = _faiss().read_index(str(index_path))
            if index.ntotal != manifest.count or index.d != manifest.dimension:
                return cls._unusable(index_path, "it disagrees with its manifest")
        except Exception as exc:  # a truncated or foreign file raises many kinds of error
            return cls._unusable(index_path, f"it is unreadable ({exc.__class__.__name__}: {exc})")
        return cls(index, manifest), ""

    @staticmethod
    def _unusable(index_path: Path, why: str) -> tuple[None, str]:
        log.warning("vector index %s cannot be used, %s: rebuilding it from the store", index_path, why)
        return None, why
