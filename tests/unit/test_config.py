from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from workbench.config import Settings, get_settings


def test_default_store_is_a_sqlite_file_in_the_data_folder(tmp_path: Path):
    settings = get_settings()
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'data' / 'workbench.db').resolve()}"


def test_one_url_switches_the_store_to_postgresql(monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", "postgresql+psycopg://u:p@db.internal/workbench")
    assert Settings().resolved_database_url == "postgresql+psycopg://u:p@db.internal/workbench"


def test_log_level_is_normalised(monkeypatch):
    monkeypatch.setenv("WORKBENCH_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"


def test_app_model_threads_default_to_one_and_refuse_a_negative_count(monkeypatch):
    assert Settings().app_model_threads == 1
    monkeypatch.setenv("WORKBENCH_APP_MODEL_THREADS", "-2")
    with pytest.raises(pydantic.ValidationError, match="app_model_threads"):
        Settings()
