"""Pitch pack and peer-proposal speed.

1. Pitch pack: seed the default demo universe (3,000 companies, 5,000 deals), index the
   deals and company descriptions with the configured embedder (WORKBENCH_EMBEDDER, default
   the packaged model), then time ``build_pitch_pack`` for one company per situation, each
   with a cold Chromium (what `workbench pitch` does). Target: under 10 s.
2. Peer proposal at scale: a SQLite store of N synthetic companies (11 sectors, log-normal
   sizes, words drawn from a vocabulary) each with a stored 384-dimension description
   vector, then ``propose_peers`` for random subjects. Target: under 1 s at 1,000,000.

    .venv/bin/python bench/bench_pitch.py [--companies 1000000] [--queries 20] [--skip-pack]
                                          [--store-dir DIR] [--work DIR]

``--store-dir`` keeps the big store and ``--work`` the demo store and its index between runs
(embedding 5,000 deals and 3,000 companies with the model takes minutes on two cores).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.company_embeddings import company_text, embed_companies  # noqa: E402
from services.comps import propose_peers  # noqa: E402
from services.deal_embeddings import vector_bytes  # noqa: E402
from workbench.db import make_engine, make_session_factory, migrate  # noqa: E402
from workbench.domain import GICS_SECTORS, REGIONS  # noqa: E402

DIMENSION = 384
WORDS = ("software payments cloud chips semiconductors banking insurance retail grocery apparel hotels airlines "
         "railways trucking machinery tractors cranes pumps valves chemicals coatings steel copper gold oil gas "
         "pipelines utilities solar wind water hospitals clinics drugs vaccines devices diagnostics telecom towers "
         "media games advertising housing offices warehouses logistics food beverages tobacco cosmetics").split()  # fmt: skip


class StoredVectorsOnly:
    """Stands in for the model: every subject of the benchmark has a stored, current vector."""

    name = "synthetic-384"
    dimension = DIMENSION

    def encode(self, texts, *, batch_size: int = 64):  # pragma: no cover - must not be reached
        raise AssertionError("the benchmark expects every subject to be embedded already")


def build_big_store(path: Path, n: int, rng: np.random.Generator) -> float:
    """A store of ``n`` listed companies with stored vectors, written with the DB-API for speed."""
    t0 = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    raw = engine.raw_connection()
    cur = raw.cursor()
    sectors = list(GICS_SECTORS)
    regions = list(REGIONS)
    centres = rng.normal(size=(len(sectors) * 20, DIMENSION)).astype(np.float32)
    chunk = 50_000
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        ids = np.arange(start + 1, start + m + 1)
        sector = rng.integers(0, len(sectors), m)
        industry = rng.integers(0, 20, m)
        region = rng.integers(0, len(regions), m)
        cap = np.round(np.exp(rng.normal(7.0, 1.6, m)), 1)  # median ~$1.1bn
        revenue = np.round(cap * np.exp(rng.normal(-0.2, 0.6, m)), 1)
        rows, vectors = [], []
        vec = centres[sector * 20 + industry] + 0.8 * rng.normal(size=(m, DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION) * 4
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        for i in range(m):
            words = " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), 8))
            rec = {"name": f"Company {ids[i]}", "description": f"Makes {words}.", "sector": sectors[sector[i]],
                   "industry": f"{sectors[sector[i]]} {industry[i]}", "sub_industry": None}  # fmt: skip
            rows.append((int(ids[i]), f"C{ids[i]}", rec["name"], f"T{ids[i]}", rec["sector"], rec["industry"],
                         regions[region[i]], regions[region[i]], float(cap[i]), float(revenue[i]), "listed",
                         rec["description"]))  # fmt: skip
            digest = hashlib.sha256(company_text(rec).encode()).hexdigest()
            vectors.append((int(ids[i]), StoredVectorsOnly.name, digest, DIMENSION, vector_bytes(vec[i])))
        cur.executemany(
            "INSERT INTO companies (id, key, name, ticker, sector, industry, region, country, market_cap_usd_m, "
            "revenue_usd_m, listing_status, description, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)", rows)  # fmt: skip
        cur.executemany("INSERT INTO company_embeddings (company_id, model_name, text_sha256, dimension, vector, "
                        "created_at) VALUES (?,?,?,?,?,CURRENT_TIMESTAMP)", vectors)  # fmt: skip
        raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    engine.dispose()
    return time.perf_counter() - t0


def bench_proposals(path: Path, queries: int, rng: np.random.Generator) -> tuple[list[float], int, dict[str, float]]:
    engine = make_engine(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    with factory() as s:
        n = int(s.connection().exec_driver_sql("SELECT max(id) FROM companies").scalar() or 0)
    embedder = StoredVectorsOnly()
    propose_peers(int(rng.integers(1, n + 1)), session_factory=factory, embedder=embedder)  # warm the page cache
    times, parts = [], {"candidates": 0.0, "vectors": 0.0, "score": 0.0}
    candidates = 0
    for _ in range(queries):
        t0 = time.perf_counter()
        result = propose_peers(int(rng.integers(1, n + 1)), session_factory=factory, embedder=embedder)
        times.append(time.perf_counter() - t0)
        assert result.subject_embedded and len(result.peers) == 10
        candidates = max(candidates, result.candidates)
        for k in parts:
            parts[k] += result.timings_ms[k] / queries
    engine.dispose()
    return times, candidates, parts


def bench_pack(work: Path) -> dict[str, float]:
    from services.pitch import build_pitch_pack
    from services.precedents import PrecedentEngine
    from workbench.config import get_settings
    from workbench.demo import DemoSize, seed_demo
    from workbench.embeddings import build_embedder

    fresh = not (work / "demo.db").exists()
    engine = make_engine(f"sqlite:///{work / 'demo.db'}")
    migrate(engine)
    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    if fresh:
        seed_demo(factory, DemoSize())
    seed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder = build_embedder(get_settings())
    precedents = PrecedentEngine(folder=work / "index", approximate_from=100_000)
    precedents.refresh(session_factory=factory, embedder=embedder)
    embed_companies(session_factory=factory, embedder=embedder)
    index_s = time.perf_counter() - t0
    with factory() as s:  # the listed company with the most documents, deals and debt: the fullest pack
        ticker = s.connection().exec_driver_sql(
            "SELECT c.ticker FROM companies c JOIN documents d ON d.company_id = c.id "
            "WHERE c.market_cap_usd_m > 0 AND c.ticker IS NOT NULL GROUP BY c.id "
            "ORDER BY count(*) DESC, c.market_cap_usd_m DESC LIMIT 1").scalar()  # fmt: skip
    out = {"seed_s": seed_s, "index_s": index_s}
    for situation in ("ma", "ecm", "dcm"):
        t0 = time.perf_counter()
        pack = build_pitch_pack(ticker, situation, session_factory=factory, embedder=embedder, engine=precedents,
                                user="bench", out_dir=work / "packs")  # fmt: skip
        out[f"pack_{situation}_s"] = time.perf_counter() - t0
        out[f"charts_{situation}_s"] = pack.timings_ms["charts"] / 1000
        print(f"{situation}: {out[f'pack_{situation}_s']:.1f} s ({pack.timings_ms})", file=sys.stderr)
    out["embedder"] = embedder.name  # type: ignore[assignment]
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--skip-pack", action="store_true")
    parser.add_argument("--store-dir", type=Path, default=None, help="keep the big store here and reuse it")
    parser.add_argument("--work", type=Path, default=None, help="keep the demo store and its index here and reuse them")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    rng = np.random.default_rng(11)
    work = Path(tempfile.mkdtemp(prefix="bench_pitch_"))
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    try:
        pack = {} if args.skip_pack else bench_pack(args.work or work)
        folder = args.store_dir or work
        folder.mkdir(parents=True, exist_ok=True)
        big = folder / f"companies_{args.companies}.db"
        build_s = 0.0
        if not big.exists():
            build_s = build_big_store(big, args.companies, rng)
            print(f"built {args.companies:,} companies with vectors in {build_s:.0f} s "
                  f"({big.stat().st_size / 1e9:.2f} GB)", file=sys.stderr)  # fmt: skip
        times, candidates, parts = bench_proposals(big, args.queries, rng)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    p50, p95 = np.percentile(times, 50) * 1000, np.percentile(times, 95) * 1000
    figures = [f"companies: {args.companies}", f"proposal_p50_ms: {p50:.0f} ms", f"proposal_p95_ms: {p95:.0f} ms",
               f"proposal_max_ms: {max(times) * 1000:.0f} ms", f"max_candidates: {candidates}",
               f"candidates_ms: {parts['candidates']:.0f} ms", f"vectors_ms: {parts['vectors']:.0f} ms",
               f"score_ms: {parts['score']:.0f} ms"]  # fmt: skip
    if build_s:
        figures.append(f"store_build_s: {build_s:.0f} s")
    if pack:
        figures += [f"pack_ma_s: {pack['pack_ma_s']:.1f} s", f"pack_ecm_s: {pack['pack_ecm_s']:.1f} s",
                    f"pack_dcm_s: {pack['pack_dcm_s']:.1f} s", f"charts_ma_s: {pack['charts_ma_s']:.1f} s",
                    f"demo_seed_s: {pack['seed_s']:.0f} s", f"demo_index_s: {pack['index_s']:.0f} s"]  # fmt: skip
        print(f"embedder: {pack['embedder']}", file=sys.stderr)
    print(", ".join(figures))


if __name__ == "__main__":
    main()
