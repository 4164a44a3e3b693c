"""Every setting and every CLI command is documented in the README (datasette's habit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.cli import app
from workbench.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_settings_table(field):
    env_name = f"{ENV_PREFIX}{field.upper()}"
    assert re.search(rf"^\|\s*`{env_name}`\s*\|", README, re.MULTILINE), (
        f"{env_name} is missing from the README settings table"
    )


def _command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _command_names())
def test_every_cli_command_is_in_the_readme(command):
    assert f"workbench {command}" in README, f"`workbench {command}` is not documented in the README"


def test_readme_gives_the_two_setup_commands_and_ci_uses_the_test_one():
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_tables_match_the_code():
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.settings_table() in README, "run scripts/readme_tables.py"
    assert module.cli_table() in README, "run scripts/readme_tables.py"
