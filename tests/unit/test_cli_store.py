from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from workbench.cli import app
from workbench.config import get_settings
from workbench.db import make_engine, schema_is_current


def test_init_creates_and_migrates_the_default_store():
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "Store ready" in result.output
    assert schema_is_current(make_engine(get_settings().resolved_database_url))


def test_init_twice_is_harmless():
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["init"]).exit_code == 0


def test_unreachable_store_exits_non_zero_with_a_clear_message(monkeypatch):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    env = {"WORKBENCH_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"}
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "init"],
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Cannot open the store" in proc.stderr
    assert "Traceback" not in proc.stderr
