"""Time the demo universe: default size, and a million companies for screening benchmarks.

Run: .venv/bin/python bench/bench_demo.py [--skip-1m]
Each run seeds a fresh SQLite file in a temporary folder; the last line prints the figures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

from workbench.db import make_engine, make_session_factory, migrate
from workbench.demo import DemoSize, DemoSummary, seed_demo


def run(path: Path, size: DemoSize) -> DemoSummary:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    summary = seed_demo(make_session_factory(engine), size, user="bench")
    engine.dispose()
    size_mb = path.stat().st_size / 1e6
    print(f"{size}: {summary.total_rows:,} rows in {summary.elapsed_s:.1f} s "
          f"({summary.total_rows / summary.elapsed_s:,.0f} rows/s), file {size_mb:,.0f} MB", flush=True)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-1m", action="store_true", help="only the default size")
    args = parser.parse_args()
    figures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        default = run(Path(tmp) / "default.db", DemoSize())
        figures += [f"demo_default_s: {default.elapsed_s:.1f} s",
                    f"demo_default_rows_per_s: {default.total_rows / default.elapsed_s:,.0f} rows/s".replace(",", "")]
        if not args.skip_1m:
            big = run(Path(tmp) / "million.db",
                      DemoSize(companies=1_000_000, deals=0, documents=0, price_years=0))
            figures += [f"demo_1m_companies_s: {big.elapsed_s:.1f} s",
                        f"demo_1m_rows_per_s: {big.total_rows / big.elapsed_s:,.0f} rows/s".replace(",", "")]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures.append(f"peak_rss_mb: {peak_mb:.0f} MB")
    print(", ".join(figures))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
