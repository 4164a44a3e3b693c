"""Precedent search quality on real acquisitions: precision@10 by shared market category.

Imports ../shared/data/deals/tech_acquisitions_dev.csv into a fresh SQLite store with the
workbench importer, embeds the deals with the packaged model, then, for every deal that has
a description and market categories, queries with its description (the deal itself
excluded) and counts the share of the top 10 hits that share at least one market category
with it. Categories are never shown to the ranker. Three rankers in the same run: the
hybrid (default fusion weights), TF-IDF cosine only, and sentence vectors only.

    .venv/bin/python bench/bench_precedents_quality.py [--tune]

``--tune`` also prints precision@10 over a small grid of fusion weights.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.imports import run_import, source_from_bytes  # noqa: E402
from services.precedents import (FusionWeights, PrecedentEngine, PrecedentQuery,  # noqa: E402
                                 rank_precedents)  # fmt: skip
from workbench.db import make_engine, make_session_factory, migrate  # noqa: E402
from workbench.embeddings import load_embedder  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "deals" / "tech_acquisitions_dev.csv"
TOP = 10


def precision(hit_keys: list[str], categories: dict[str, set[str]], own: set[str]) -> float:
    if not hit_keys:
        return 0.0
    return sum(1 for k in hit_keys if categories.get(k, set()) & own) / TOP


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tune", action="store_true", help="print a grid of fusion weights too")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder to keep the store in between runs (embeddings are then reused)")
    args = parser.parse_args()
    if not DATA.is_file():
        sys.exit(f"data not found: {DATA}")
    tmp = args.work or Path(tempfile.mkdtemp(prefix="bench_prec_"))
    tmp.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{tmp / 'store.db'}")
    migrate(engine)
    factory = make_session_factory(engine)
    # Re-importing the same file updates nothing, so a kept store keeps its embeddings.
    result = run_import(source_from_bytes(DATA.name, DATA.read_bytes()), "deals", session_factory=factory,
                        user="bench", skip_invalid=True)  # fmt: skip
    print(f"imported {result.imported} deals ({result.rejected} rejected)", file=sys.stderr)

    embedder = load_embedder("all-MiniLM-L6-v2")
    precedents = PrecedentEngine(folder=tmp / "index", approximate_from=100_000)
    started = time.perf_counter()
    status = precedents.refresh(session_factory=factory, embedder=embedder)
    index_s = time.perf_counter() - started
    corpus = precedents.corpus(session_factory=factory, embedder=embedder)
    catalog = corpus.catalog
    categories = {k: {c.strip().lower() for c in (cats or []) if c and c.strip()}
                  for k, cats in zip(catalog["key"], catalog["categories"])}  # fmt: skip
    evaluated = [i for i, (k, d) in enumerate(zip(catalog["key"], catalog["description"]))
                 if d and str(d).strip() and categories[k]]  # fmt: skip
    print(f"{len(catalog)} deals, {len(evaluated)} with description and categories; "
          f"embedded in {index_s:.1f} s", file=sys.stderr)  # fmt: skip

    queries = [str(catalog["description"].iat[i]) for i in evaluated]
    keys = [str(catalog["key"].iat[i]) for i in evaluated]
    t0 = time.perf_counter()
    vectors = embedder.encode(queries)
    embed_s = time.perf_counter() - t0

    def run(weights: FusionWeights) -> tuple[float, float]:
        scores = []
        started = time.perf_counter()
        for text, key, vec in zip(queries, keys, vectors):
            q = PrecedentQuery(text=text, exclude_keys=(key,), top=TOP, weights=weights).validate()
            hits = rank_precedents(corpus, q, vec).hits
            scores.append(precision(list(hits["key"]), categories, categories[key]))
        return float(np.mean(scores)), (time.perf_counter() - started) * 1000 / len(queries)

    # TF-IDF baseline: the same deal texts, cosine of sublinear TF-IDF vectors.
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    matrix = tfidf.fit_transform(catalog["text"].tolist())
    query_matrix = tfidf.transform(queries)
    tfidf_scores = []
    all_keys = catalog["key"].to_numpy()
    for row, (key, pos) in enumerate(zip(keys, evaluated)):
        sims = (matrix @ query_matrix[row].T).toarray().ravel()
        sims[pos] = -1.0
        top = np.argsort(-sims, kind="stable")[:TOP]
        tfidf_scores.append(precision(list(all_keys[top]), categories, categories[key]))
    tfidf_p = float(np.mean(tfidf_scores))

    default = FusionWeights()
    hybrid_p, hybrid_ms = run(default)
    embedding_p, _ = run(FusionWeights(text=1.0, keywords=0.0, sector=0.0, size=0.0, recency=0.0))
    bm25_p, _ = run(FusionWeights(text=0.0, keywords=1.0, sector=0.0, size=0.0, recency=0.0))
    print(f"hybrid weights: {dataclasses.asdict(default)}", file=sys.stderr)
    print(f"query embedding: {embed_s * 1000 / len(queries):.1f} ms/query (batched); "
          f"ranking {hybrid_ms:.1f} ms/query", file=sys.stderr)  # fmt: skip

    if args.tune:
        for kw in (0.6, 0.8, 1.0, 1.2, 1.5):
            for k in (30.0, 60.0, 100.0):
                w = FusionWeights(text=1.0, keywords=kw, rrf_k=k)
                print(f"tune keywords={kw} rrf_k={k}: p@10 {run(w)[0]:.4f}", file=sys.stderr)

    print(f"queries: {len(queries)}, hybrid_p_at_10: {hybrid_p:.3f}, tfidf_p_at_10: {tfidf_p:.3f}, "
          f"embedding_p_at_10: {embedding_p:.3f}, bm25_p_at_10: {bm25_p:.3f}, index_s: {index_s:.1f} s, "
          f"deals_embedded: {status.embedded.embedded if status.embedded else 0}")  # fmt: skip


if __name__ == "__main__":
    main()
