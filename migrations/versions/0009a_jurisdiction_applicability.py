"""Jurisdiction by audience and issuer: where an item is visible, who issued a report

Existing items get visible_in NULL (= visible everywhere) and existing reports no issuer, so
they keep evaluating as before. Nothing is re-evaluated here: open items move to the new
applicability model the way the policy team changes packs, a backtest first and then a
publish (docs/operations.md, "Jurisdictions: moving open items to the new model"). The plan
stored with each evaluation carries the applied jurisdictions and their reasons;
policy_evaluations gains deadline_from, when the deadline's clock started (NULL on older rows:
their deadlines ran from facts_as_of, as before).

Revision ID: 0009a
Revises: 0008h
Create Date: 2026-12-03 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009a"
down_revision = "0008h"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visible_in", sa.JSON(), nullable=True))
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuing_jurisdiction", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("authority_rank", sa.String(length=64), nullable=True))
    with op.batch_alter_table("policy_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_from", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("policy_evaluations", schema=None) as batch_op:
        batch_op.drop_column("deadline_from")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("authority_rank")
        batch_op.drop_column("issuing_jurisdiction")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("visible_in")
