"""Bank media uploads: videos and reference tracks hashed by a worker, not in the web request

A new table only; nothing to migrate (uploads made before this were hashed at once).

Revision ID: 0008d
Revises: 0008c
Create Date: 2026-12-01 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008d"
down_revision = "0008c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_media_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("rights_holder", sa.String(length=255), nullable=False),
        sa.Column("territories", sa.Text(), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bank_id"], ["hash_banks.id"], name=op.f("fk_bank_media_uploads_bank_id_hash_banks")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["bank_entries.id"],
            name=op.f("fk_bank_media_uploads_entry_id_bank_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_media_uploads")),
    )
    with op.batch_alter_table("bank_media_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_media_uploads_bank_id"), ["bank_id"], unique=False)


def downgrade():
    with op.batch_alter_table("bank_media_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_media_uploads_bank_id"))
    op.drop_table("bank_media_uploads")
