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
