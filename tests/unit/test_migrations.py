"""Upgrading a store that holds data keeps every row (SQLite rebuilds tables to alter them)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import func, insert, select

from workbench.db import _alembic_config, make_engine, migrate
from workbench.models import Company, Deal, DealParty, Watchlist, WatchlistItem


def test_upgrading_an_sqlite_store_with_data_keeps_child_rows_of_rebuilt_tables(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = _alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0002")  # before deals and watchlists gained team_id
    with engine.begin() as conn:
        conn.execute(insert(Company.__table__), [{"id": 1, "key": "ACME", "name": "Acme"}])
        conn.execute(insert(Deal.__table__).values(id=1, key="D1", name="Acme IPO", deal_type="IPO"))
        conn.execute(insert(DealParty.__table__).values(deal_id=1, role="issuer", name="Acme", company_id=1))
        conn.execute(insert(Watchlist.__table__).values(id=1, name="Coverage"))
        conn.execute(insert(WatchlistItem.__table__).values(watchlist_id=1, company_id=1))

    migrate(engine)

    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DealParty.__table__)) == 1
        assert conn.scalar(select(func.count()).select_from(WatchlistItem.__table__)) == 1
        # and foreign keys are enforced again on the pooled connection afterwards
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_migrations_build_exactly_the_schema_the_models_declare(tmp_path: Path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from workbench.models import Base

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # An index or column in the models that no migration creates (or the reverse) is a store
    # that differs between a fresh install and an upgraded one.
    assert diff == []


def test_the_screen_fingerprints_latest_change_is_an_index_lookup_not_a_scan(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    migrate(engine)
    with engine.connect() as conn:
        for table in ("companies", "deals"):
            plan = " ".join(
                str(row[-1])
                for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN SELECT max(updated_at) FROM {table}")
            )
            assert f"INDEX ix_{table}_updated_at" in plan, plan
