"""indexes on companies.updated_at and deals.updated_at

Every screen run reads the store's fingerprint, which holds max(updated_at) of both
tables: with an index that is one lookup instead of a scan of a million companies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_companies_updated_at", "companies", ["updated_at"])
    op.create_index("ix_deals_updated_at", "deals", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_deals_updated_at", table_name="deals")
    op.drop_index("ix_companies_updated_at", table_name="companies")
