"""Frame thumbnails: the classify worker keeps a small JPEG of each classified frame of a video,
so the case page's strip no longer decodes the video in the web request

A new table only. Videos classified before it have no thumbnails (their strip says the frames
appear after classification) until `flask pipeline frame-thumbnails` makes them: that decodes
the videos, which is a worker's job, not a migration's.

Revision ID: 0008h
Revises: 0008f
Create Date: 2026-12-01 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008h"
down_revision = "0008f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_frame_thumbnails",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("time_ms", sa.Integer(), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_frame_thumbnails_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_frame_thumbnails")),
        sa.UniqueConstraint("item_id", "number", name=op.f("uq_item_frame_thumbnails_item_id_number")),
    )
    with op.batch_alter_table("item_frame_thumbnails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_frame_thumbnails_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("item_frame_thumbnails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_frame_thumbnails_item_id"))
    op.drop_table("item_frame_thumbnails")
