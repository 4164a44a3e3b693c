from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select
from typer.testing import CliRunner

from workbench.cli import app
from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory
from workbench.errors import WorkbenchError
from workbench.models import Company, Deal

SMALL = ["--companies", "60", "--deals", "40", "--documents", "3", "--price-years", "0"]


def _companies() -> int:
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        n = s.scalar(select(func.count()).select_from(Company))
    engine.dispose()
    return n


def test_demo_command_seeds_the_store_and_prints_the_summary() -> None:
    result = CliRunner().invoke(app, ["demo", *SMALL, "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "60 companies" in result.output and "40 deals" in result.output and "seed 3" in result.output
    assert _companies() == 60


def test_demo_command_refuses_a_non_empty_store_without_replace() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo", *SMALL]).exit_code == 0
    result = runner.invoke(app, ["demo", "--companies", "70", "--deals", "0", "--documents", "0",
                                 "--price-years", "0"])
    assert result.exit_code == 1
    assert isinstance(result.exception, WorkbenchError) and "--replace" in str(result.exception)
    assert _companies() == 60


def test_demo_command_replace_reseeds() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo", *SMALL]).exit_code == 0
    result = runner.invoke(app, ["demo", "--companies", "25", "--deals", "0", "--documents", "0",
                                 "--price-years", "0", "--replace"])
    assert result.exit_code == 0, result.output
    assert _companies() == 25
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Deal)) == 0
    engine.dispose()


def test_demo_command_prints_a_clear_error_and_exits_1_on_bad_size() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "demo", "--companies", "-5"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )
    assert proc.returncode == 1
    assert "companies must be at least 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_progress_is_plain_lines_when_output_is_not_a_terminal() -> None:
    result = CliRunner().invoke(app, ["demo", *SMALL, "--seed", "5"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Demo universe: ")]
    assert len(lines) >= 3, result.stderr  # a line per tenth of the work, at least start and end
    assert "100%" in lines[-1] and "Demo universe ready" in lines[-1]
    assert len(lines) <= 12
