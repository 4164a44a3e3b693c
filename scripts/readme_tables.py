"""Regenerate the settings and CLI tables in README.md from the code.

Run after adding a setting or a command: `.venv/bin/python scripts/readme_tables.py`.
tests/unit/test_docs.py fails when the README misses one.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from workbench.cli import app
from workbench.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def settings_table() -> str:
    rows = ["| variable | default | what it does |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "current OS user" if name == "user" else "computed"
        elif field.default is None:
            default = "(see description)"
        else:
            default = f"`{field.default}`"
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {default} | {field.description or ''} |")
    rows.append(
        "| `WORKBENCH_TEST_DATABASE_URL` | unset | Tests only: a PostgreSQL URL on which the "
        "integration tests run a second time (`make test` sets it). |"
    )
    return "\n".join(rows)


def cli_table() -> str:
    group = typer.main.get_command(app)
    rows = ["| command | what it does |", "| --- | --- |"]
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        summary = (command.help or "").strip().splitlines()[0] if command.help else ""
        rows.append(f"| `workbench {name}` | {summary} |")
    return "\n".join(rows)


def replace_block(text: str, marker: str, body: str) -> str:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    placeholder = marker.upper() + "_TABLE"
    return text.replace(placeholder, block)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    text = replace_block(text, "settings", settings_table())
    text = replace_block(text, "cli", cli_table())
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
