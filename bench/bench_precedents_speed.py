"""Precedent search speed at scale: approximate-index recall, query latency, memory, throughput.

Stored deals are synthetic (clustered unit vectors, so the index sees neighbourhoods like
real embeddings have; words drawn from a vocabulary for BM25; random facts for filters);
every query is embedded for real with the packaged model, inside the timed path.

    .venv/bin/python bench/bench_precedents_speed.py [--vectors 1000000] [--queries 100] [--demo]

``--demo`` also times indexing the default demo store (seed, then embed every deal).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.precedents import Corpus, FusionWeights, PrecedentFilters, PrecedentQuery, rank_precedents  # noqa: E402
from workbench.domain import GICS_SECTORS, REGIONS, DealType  # noqa: E402
from workbench.embeddings import load_embedder  # noqa: E402
from workbench.keyword import KeywordIndex  # noqa: E402
from workbench.vector_index import VectorIndex  # noqa: E402

QUERIES = [
    "carve-out of a European specialty chemicals business by a sponsor, about $1bn",
    "take-private of a listed software company by private equity",
    "high yield bond to refinance a leveraged buyout loan",
    "IPO of a fintech payments company on Nasdaq",
    "merger of two regional banks in the United States",
    "acquisition of a semiconductor equipment maker in Asia",
    "convertible bond issued by a biotech company to fund trials",
    "sale of an oil and gas exploration business in the North Sea",
    "consumer brand acquired by a strategic buyer at a premium",
    "investment grade bond of a utility to fund renewable projects",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def synthetic_vectors(n: int, dim: int, rng: np.random.Generator, anchors: np.ndarray) -> np.ndarray:
    """Unit vectors around many centres (some near real query embeddings), in chunks to spare memory."""
    centres = rng.normal(size=(4000, dim)).astype(np.float32)
    centres[: len(anchors) * 20] = np.repeat(anchors, 20, axis=0) + 0.6 * rng.normal(size=(len(anchors) * 20, dim)) / np.sqrt(dim)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        which = rng.integers(0, len(centres), m)
        block = centres[which] + rng.normal(scale=1.1 / np.sqrt(dim), size=(m, dim)).astype(np.float32)
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def synthetic_catalog(n: int, rng: np.random.Generator) -> pd.DataFrame:
    vocab = np.array([f"w{i}" for i in range(20_000)] + "acquisition carve-out sponsor bond ipo merger chemicals "
                     "software bank utility semiconductor biotech refinancing".split())  # fmt: skip
    words = rng.choice(vocab, size=(n, 12))
    text = [" ".join(row) for row in words]
    types = np.array([t.value for t in DealType])
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64), "key": [f"S{i}" for i in range(1, n + 1)],
        "name": [f"Synthetic deal {i}" for i in range(1, n + 1)], "deal_type": rng.choice(types, n),
        "status": rng.choice(["completed", "pending", "priced"], n),
        "announced_date": pd.to_datetime("2005-01-01") + pd.to_timedelta(rng.integers(0, 7300, n), unit="D"),
        "size_usd_m": np.round(rng.lognormal(6, 1.5, n), 1), "enterprise_value_usd_m": np.nan,
        "ev_ebitda": np.round(rng.normal(10, 3, n), 1), "ev_revenue": np.nan, "premium_pct": np.nan,
        "sector": rng.choice(np.array(GICS_SECTORS, dtype=object), n), "industry": None,
        "region": rng.choice(np.array(REGIONS, dtype=object), n), "country": None, "description": text,
        "categories": None, "text": text,
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--demo", action="store_true", help="also time indexing the default demo store")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder to save the built index in and reuse it from (same --vectors)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    import torch

    torch.set_num_threads(2)
    embedder = load_embedder("all-MiniLM-L6-v2")
    dim = embedder.dimension
    anchors = embedder.encode(QUERIES)

    # Embedding throughput on deal-like texts (2 cores).
    sample = [f"{q}. The transaction was announced in {2010 + i % 15} and valued at ${100 + 37 * i}m; the target "
              f"operates in several countries and employs about {1000 + 13 * i} people." for i, q in
              enumerate(QUERIES * 26)][:256]  # fmt: skip
    t0 = time.perf_counter()
    embedder.encode(sample, batch_size=64)
    throughput = len(sample) / (time.perf_counter() - t0)
    print(f"embedding throughput: {throughput:.0f} deals/s", file=sys.stderr)

    t0 = time.perf_counter()
    vectors = synthetic_vectors(args.vectors, dim, rng, anchors)
    catalog = synthetic_catalog(args.vectors, rng)
    print(f"synthetic data in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    ids = catalog["id"].to_numpy()

    before = rss_mb()
    t0 = time.perf_counter()
    name = f"bench-{args.vectors}"
    hnsw = VectorIndex.load(args.cache, name) if args.cache else None
    if hnsw is None:
        hnsw = VectorIndex.build(ids, vectors, model_name=name, dimension=dim, store_fingerprint="bench",
                                 approximate_from=1)  # fmt: skip
        if args.cache:
            hnsw.save(args.cache)
    build_s = time.perf_counter() - t0
    index_mb = rss_mb() - before
    print(f"HNSW built in {build_s:.0f} s, +{index_mb:.0f} MB resident", file=sys.stderr)

    t0 = time.perf_counter()
    keyword = KeywordIndex.build(catalog["text"].tolist())
    print(f"BM25 built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    corpus = Corpus(catalog=catalog, keyword=keyword, vectors=hnsw)

    # Recall@10 of the approximate index against exact search, with and without a filter.
    texts = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" deal {i}") for i in range(args.queries)]
    qvecs = embedder.encode(texts)
    filters = PrecedentFilters(deal_types=("ma",), sectors=("Materials", "Industrials", "Information Technology"))
    from services.precedents import filter_mask

    allowed = ids[filter_mask(catalog, filters.normalised())]
    recalls, recalls_f = [], []
    for q in qvecs:
        exact = np.argsort(-(vectors @ q))[:10] + 1
        recalls.append(len(set(hnsw.search(q, 10)[1]) & set(exact)) / 10)
        sims = vectors[allowed - 1] @ q
        exact_f = allowed[np.argsort(-sims)[:10]]
        recalls_f.append(len(set(hnsw.search(q, 10, allowed_ids=allowed)[1]) & set(exact_f)) / 10)
    recall, recall_f = float(np.mean(recalls)), float(np.mean(recalls_f))
    print(f"recall@10 {recall:.3f}, filtered ({len(allowed):,} allowed) {recall_f:.3f}", file=sys.stderr)

    # Latency of a full hybrid search with filters on, query embedding included.
    weights = FusionWeights()
    latencies, embed_ms, rank_ms = [], [], []
    for i, text in enumerate(texts):
        query = PrecedentQuery(text=text, filters=filters, weights=weights, top=20).validate()
        t0 = time.perf_counter()
        vector = embedder.encode([text])[0]
        t1 = time.perf_counter()
        result = rank_precedents(corpus, query, vector)
        t2 = time.perf_counter()
        latencies.append((t2 - t0) * 1000)
        embed_ms.append((t1 - t0) * 1000)
        rank_ms.append((t2 - t1) * 1000)
        if i == 0:
            print(f"first query parts (ms): { {k: round(v, 1) for k, v in result.timings_ms.items()} }",
                  file=sys.stderr)  # fmt: skip
    p50, p95 = np.percentile(latencies[1:], [50, 95])
    print(f"query embedding p50 {np.percentile(embed_ms[1:], 50):.1f} ms; filter+search+fuse+explain p50 "
          f"{np.percentile(rank_ms[1:], 50):.1f} ms, p95 {np.percentile(rank_ms[1:], 95):.1f} ms", file=sys.stderr)

    demo_s = float("nan")
    if args.demo:
        from services.precedents import PrecedentEngine
        from workbench.db import make_engine, make_session_factory, migrate
        from workbench.demo import DemoSize, seed_demo

        tmp = Path(tempfile.mkdtemp(prefix="bench_prec_demo_"))
        engine = make_engine(f"sqlite:///{tmp / 'store.db'}")
        migrate(engine)
        factory = make_session_factory(engine)
        seed_demo(factory, DemoSize())
        t0 = time.perf_counter()
        PrecedentEngine(folder=tmp / "index", approximate_from=100_000).refresh(session_factory=factory,
                                                                                embedder=embedder)  # fmt: skip
        demo_s = time.perf_counter() - t0

    print(f"vectors: {args.vectors}, recall_at_10: {recall:.3f}, filtered_recall_at_10: {recall_f:.3f}, "
          f"p50_ms: {p50:.1f} ms, p95_ms: {p95:.1f} ms, index_memory_mb: {index_mb:.0f} MB, "
          f"hnsw_build_s: {build_s:.0f} s, embed_throughput: {throughput:.0f} deals/s, "
          f"demo_index_s: {demo_s:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
