from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workbench.db import schema_is_current, table_names
from workbench.models import Company, DebtInstrument, Deal, DealParty


def test_migrations_create_every_table_and_reach_head(store):
    assert schema_is_current(store.engine)
    assert {"companies", "deals", "deal_parties", "documents", "prices", "debt_instruments",
            "watchlists", "watchlist_items", "alert_rules", "alert_events", "saved_screens",
            "screen_runs", "audit_log"} <= set(table_names(store.engine))


def test_company_key_is_unique(store):
    with store.session_factory.begin() as s:
        s.add(Company(key="ACME", name="Acme"))
    with pytest.raises(IntegrityError):
        with store.session_factory.begin() as s:
            s.add(Company(key="ACME", name="Acme again"))


def test_deleting_a_company_deletes_its_debt_and_unlinks_its_deal_roles(store):
    with store.session_factory.begin() as s:
        c = Company(key="ACME", name="Acme")
        c.debt.append(DebtInstrument(instrument="Senior notes", amount_usd_m=500.0,
                                     maturity_date=dt.date(2028, 6, 30)))
        d = Deal(key="D1", name="Acme IPO", deal_type="ipo")
        s.add_all([c, d])
        s.flush()
        d.parties.append(DealParty(role="issuer", name="Acme", company_id=c.id))
    with store.session_factory.begin() as s:
        s.delete(s.scalars(select(Company)).one())
    with store.session_factory() as s:
        assert s.scalars(select(DebtInstrument)).all() == []
        party = s.scalars(select(DealParty)).one()
        assert party.company_id is None and party.name == "Acme"
