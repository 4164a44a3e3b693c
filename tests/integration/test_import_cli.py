"""`workbench import` through the command line (SQLite store in the test's data folder)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from workbench.cli import app
from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory
from workbench.models import Company

GOOD = "Ticker,Company Name,Market Cap ($mm)\nAAA,Alpha,10\nBBB,Beta,20\n"
BAD = GOOD + "CCC,Gamma,-1\n"


def _companies() -> int:
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        n = s.scalar(select(func.count()).select_from(Company))
    engine.dispose()
    return n


def test_import_command_previews_then_imports(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "companies", str(path)])
    assert result.exit_code == 0, result.output
    assert "rows: 2 read, 2 valid (2 new, 0 updates), 0 invalid" in result.output
    assert "Imported 2 companies" in result.output
    assert _companies() == 2


def test_import_command_exits_1_with_the_row_message_and_writes_nothing(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "companies", str(path)])
    assert result.exit_code == 1
    assert "row 4, column 'Market Cap ($mm)', value '-1': negative value" in result.output
    assert "--skip-invalid" in result.output
    assert _companies() == 0


def test_import_command_skip_invalid_writes_the_rejected_file_beside_the_input(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "companies", str(path), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    rejected = tmp_path / "c.rejected.csv"
    assert rejected.is_file() and "negative value" in rejected.read_text(encoding="utf-8")
    assert _companies() == 2


def test_skip_invalid_never_writes_into_a_read_only_folder_even_as_root(tmp_path: Path):
    from workbench.config import get_settings

    folder = tmp_path / "vendor"
    folder.mkdir()
    path = folder / "c.csv"
    path.write_text(BAD, encoding="utf-8")
    folder.chmod(0o555)  # marked read-only; root could still write there
    try:
        result = CliRunner().invoke(app, ["import", "companies", str(path), "--skip-invalid"])
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["c.csv"]
    written = get_settings().exports_dir / "c.rejected.csv"
    assert written.is_file() and "negative value" in written.read_text(encoding="utf-8")
    assert "not writable" in " ".join(result.output.split()) and str(written) in "".join(result.output.split())


def test_import_command_dry_run_and_explicit_mapping(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("Code,Label\nX1,Xeno\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "companies", str(path), "--map", "key=Code", "--map",
                                      "name=Label", "--dry-run"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "key<-'Code'" in result.output and "Dry run" in result.output
    assert _companies() == 0
