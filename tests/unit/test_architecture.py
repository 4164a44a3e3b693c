"""The layering rules of STYLE.md, checked: pages -> services -> workbench."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_MODULES = {ROOT / "workbench" / "ui.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["services", "workbench"])
def test_only_the_ui_edge_imports_streamlit(folder):
    offenders = [
        str(p.relative_to(ROOT))
        for p in _python_files(folder)
        if p not in UI_MODULES and any(n.split(".")[0] == "streamlit" for n in _imports(p))
    ]
    assert offenders == [], f"these modules import streamlit: {offenders}"


def test_the_core_never_imports_services_except_the_cli():
    allowed = {ROOT / "workbench" / "cli.py", *UI_MODULES}
    cli_pkg = ROOT / "workbench" / "cli"
    offenders = [
        str(p.relative_to(ROOT))
        for p in _python_files("workbench")
        if p not in allowed
        and cli_pkg not in p.parents
        and any(n.split(".")[0] == "services" for n in _imports(p))
    ]
    assert offenders == [], f"workbench/ modules importing services/: {offenders}"


def test_services_never_import_pages_or_the_app():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _python_files("services")
        if any(n.split(".")[0] in {"pages", "streamlit_app"} for n in _imports(p))
    ]
    assert offenders == []


def test_services_do_not_use_streamlit_caches_or_legacy_query_api():
    for path in _python_files("services"):
        source = path.read_text(encoding="utf-8")
        assert "cache_resource" not in source and "cache_data" not in source, path
        assert ".query(" not in source, f"{path}: use select() with session.scalars/execute"


def test_pages_run_no_sql_directly():
    for path in _python_files("pages"):
        names = _imports(path)
        assert not any(n.startswith("sqlalchemy") for n in names), f"{path} imports sqlalchemy"
        assert not any(n.split(".")[0] in {"faiss", "sentence_transformers", "torch"} for n in names), path
        # ORM models or the store's plumbing in a page would mean queries (and live rows) in the page.
        assert not names & {"workbench.models", "workbench.db"}, f"{path} reaches the store directly"
