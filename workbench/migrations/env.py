"""Alembic environment: runs against the engine or connection the caller hands in.

``workbench init`` and the app call ``workbench.db.migrate``; ``alembic`` on the command
line works too through alembic.ini, which reads the URL from the workbench settings.
"""

from __future__ import annotations

from alembic import context

from workbench.config import get_settings
from workbench.db import make_engine
from workbench.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine") or make_engine(get_settings().resolved_database_url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(url=get_settings().resolved_database_url, target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
