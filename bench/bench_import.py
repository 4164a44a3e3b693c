"""Time importing the 18,968-row CrunchBase acquisitions file into a fresh SQLite store.

Run: .venv/bin/python bench/bench_import.py   (needs ../shared/data next to the checkout)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from services.imports import preview_import, run_import, source_from_bytes
from workbench.db import make_engine, make_session_factory, migrate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "deals" / "crunchbase_acquisitions_2015.csv"


def main() -> None:
    if not DATA.is_file():
        sys.exit(f"{DATA} not found: the benchmark needs the shared public data")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        factory = make_session_factory(engine)
        # From bytes, so the rejected rows are returned rather than written beside the shared file.
        source = source_from_bytes(DATA.name, DATA.read_bytes())
        started = time.perf_counter()
        preview = preview_import(source, "deals", session_factory=factory)
        preview_s = time.perf_counter() - started
        started = time.perf_counter()
        result = run_import(source, "deals", session_factory=factory, user="bench", skip_invalid=True)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        again = run_import(source, "deals", session_factory=factory, user="bench", skip_invalid=True)
        reimport_s = time.perf_counter() - started
        engine.dispose()
    rows = preview.total_rows
    print(f"{DATA.name}: {rows:,} rows, {result.inserted:,} imported, {result.rejected:,} rejected; "
          f"re-import updated {again.updated:,}")  # fmt: skip
    print(f"import_crunchbase_s: {import_s:.2f} s, import_crunchbase_rows_per_s: {rows / import_s:.0f} rows/s, "
          f"preview_crunchbase_s: {preview_s:.2f} s, reimport_crunchbase_s: {reimport_s:.2f} s, "
          f"imported_rows: {result.inserted} rows, rejected_rows: {result.rejected} rows")  # fmt: skip


if __name__ == "__main__":
    main()
