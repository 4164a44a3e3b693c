"""Engine, sessions and migrations of the SQL store (SQLite or PostgreSQL by URL)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workbench.errors import WorkbenchError
from workbench.models import Company

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_S = 10


# Any constant: PostgreSQL holds this advisory lock while one process migrates, so replicas
# or jobs that start together apply each revision once, one after the other.
MIGRATION_LOCK_KEY = 0x5742_4D49_4752  # "WBMIGR"


class StoreUnavailable(RuntimeError):
    """The database could not be reached or opened."""


class SchemaBehind(WorkbenchError):
    """The store's schema is not the one this version of the app needs, and migrating is off."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the app read while an import or the CLI writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping: a connection the server dropped (restart, failover) is replaced, not handed out.
    # A bounded connect timeout: an unreachable server fails a page in seconds, not minutes.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_S}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services return plain data built before the session closes,
    # and nothing should lazy-load after a commit.
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision (one migrator at a time on PostgreSQL)."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one. With foreign keys
            # on, that DROP deletes the children (deal parties, watchlist items) through their
            # ON DELETE CASCADE. The pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Released at commit; a second migrator waits here, then finds nothing to do.
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
                cfg = _alembic_config(engine)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:  # rolls the whole upgrade back
                        raise WorkbenchError(
                            f"The upgrade would leave {len(broken)} rows pointing at missing rows "
                            f"(first: {tuple(broken[0])}); nothing was changed."
                        )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def ensure_schema_current(engine: Engine) -> None:
    """Raise SchemaBehind, saying what to run, unless the store is at the newest revision."""
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return
    known = {rev.revision for rev in ScriptDirectory.from_config(_alembic_config(engine)).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaBehind(f"The store's schema (revision {current}) is newer than this version of the app "
                           f"knows (newest {head}): upgrade the app.")  # fmt: skip
    where = "empty: no schema yet" if current is None else f"at revision {current}"
    raise SchemaBehind(f"The store's schema is {where}; this version of the app needs revision {head}. "
                       "Run `workbench migrate` (migrating on start is off: WORKBENCH_MIGRATE_ON_START=false).")


def prepare_schema(engine: Engine, *, migrate_on_start: bool) -> None:
    """Migrate the store, or, when a separate step migrates it, check that it was done."""
    if migrate_on_start:
        migrate(engine)
    else:
        ensure_schema_current(engine)


def check_connection(engine: Engine) -> None:
    """Raise StoreUnavailable with a readable message when the store cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # driver errors differ per backend
        url = engine.url.render_as_string(hide_password=True)
        raise StoreUnavailable(f"Cannot open the store at {url}: {exc.__class__.__name__}: {exc}") from exc


def is_store_unreachable(exc: BaseException) -> bool:
    """True when the error (or one it was raised from) says the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreUnavailable | OperationalError | InterfaceError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def unreachable_message(url: str) -> str:
    """What a user reads when the database stops answering (no password in it)."""
    shown = make_url(url).render_as_string(hide_password=True)
    return (f"The store is unreachable: the database at {shown} does not answer. Nothing saved is lost; "
            "this page works again as soon as the database is back. Retry in a moment.")


def store_is_empty(session_factory: sessionmaker[Session]) -> bool:
    with session_factory() as session:
        return not session.scalar(select(func.count()).select_from(Company))


def table_names(engine: Engine) -> list[str]:
    return sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
