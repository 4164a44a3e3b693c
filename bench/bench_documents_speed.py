"""Documents speed: summary + key figures of a 10,000-word transcript with the model loaded,
and ingestion throughput of the 312 10-K risk-factor files in ../shared/data/filings.

    .venv/bin/python bench/bench_documents_speed.py [--runs 3] [--skip-ingest]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import services.documents as documents  # noqa: E402
from workbench.db import make_engine, make_session_factory, migrate  # noqa: E402
from workbench.embeddings import load_embedder  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TARGET_WORDS = 10_000


def transcript_of(words: int) -> str:
    """Real earnings-call sentences, calls joined in name order until ``words`` words."""
    lines: list[str] = []
    count = 0
    for path in sorted((DATA / "ectsum" / "val" / "ects").glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            n = len(line.split())
            if count + n > words:
                return "\n".join(lines)
            lines.append(line)
            count += n
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"shared data not found at {DATA}")

    t0 = time.perf_counter()
    embedder = load_embedder("all-MiniLM-L6-v2")
    embedder.encode(["warm up the model"])
    load_s = time.perf_counter() - t0

    text = transcript_of(TARGET_WORDS)
    times = []
    for _ in range(args.runs):
        documents.clear_summary_caches()  # every run summarises and embeds from scratch
        documents.split_sentences.cache_clear()
        start = time.perf_counter()
        _, summary = documents.summarize_text(text, embedder=embedder, max_sentences=10)
        times.append(time.perf_counter() - start)
    words = len(text.split())
    print(f"transcript: {words} words, {summary.sentence_count} sentences, "
          f"{len(summary.key_figures)} key figures; runs: {', '.join(f'{t:.2f}' for t in times)} s")

    ingest_docs = ingest_s = ingest_mb = 0.0
    if not args.skip_ingest:
        paths = sorted((DATA / "filings" / "10k_item1a").glob("*.txt"))
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            migrate(engine)
            factory = make_session_factory(engine)
            limits = documents.IngestLimits(max_bytes=200 * 1024 * 1024, max_pages=500)
            report = documents.ingest_paths(paths, session_factory=factory, limits=limits, user="bench",
                                            doc_type="10-K")
            engine.dispose()
        ingest_docs = len(report.stored) + len(report.duplicates)
        ingest_s = report.elapsed_s
        ingest_mb = report.bytes_read / 1e6
        print(f"ingested {len(report.stored)} new + {len(report.duplicates)} duplicate of {len(paths)} files "
              f"({ingest_mb:.1f} MB) in {ingest_s:.1f} s; failed {len(report.failed)}")

    print(
        f"model_load_s: {load_s:.1f} s, summary_10k_words_s: {statistics.median(times):.2f} s, "
        f"summary_10k_words_max_s: {max(times):.2f} s, ingest_files: {ingest_docs:.0f} files, "
        f"ingest_s: {ingest_s:.1f} s, ingest_files_per_s: {ingest_docs / ingest_s if ingest_s else 0:.1f} files/s, "
        f"ingest_mb_per_s: {ingest_mb / ingest_s if ingest_s else 0:.1f} MB/s"
    )


if __name__ == "__main__":
    main()
