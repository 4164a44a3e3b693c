"""stored document summaries

A summary is computed once per text, model, method and length and kept here, so every
replica and every restart serves it without running the model again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("length", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_summaries_document_id_documents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_summaries")),
        sa.UniqueConstraint("document_id", "text_sha256", "model_name", "method", "length",
                            name=op.f("uq_document_summaries_document_id")),
    )
    op.create_index(op.f("ix_document_summaries_document_id"), "document_summaries", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_document_summaries_document_id"), table_name="document_summaries")
    op.drop_table("document_summaries")
