"""Evidence holds as rows, and reports to authorities (18 U.S.C. 2258A) with their reference

Holds used to be computed: from hash-bank matches (from ingest) and from the decisions whose
rule's content class carries a retention period. This migration only creates the tables. The
existing holds are written by `flask privacy backfill-holds`, run once after the upgrade and
before the next retention round: each hold is placed with its `hold.placed` audit event, which
is hash-chained by the application, and a decision's period comes from compiling the pack
version its rule was published in, neither of which SQL in a migration can do.

Revision ID: 0009b
Revises: 0009a
Create Date: 2026-12-03 12:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009b"
down_revision = "0009a"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "evidence_holds",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("item_id", BIG_ID, nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("content_class", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("gdpr_basis", sa.Text(), nullable=False),
        sa.Column("starts_from", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_user_id", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_evidence_holds_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_user_id"], ["users.id"], name=op.f("fk_evidence_holds_placed_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_user_id"], ["users.id"], name=op.f("fk_evidence_holds_released_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_holds")),
        sa.UniqueConstraint(
            "item_id",
            "jurisdiction",
            "content_class",
            "starts_at",
            name=op.f("uq_evidence_holds_item_id_jurisdiction_content_class_starts_at"),
        ),
    )
    with op.batch_alter_table("evidence_holds", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_holds_item_id_ends_at", ["item_id", "ends_at"], unique=False)

    op.create_table(
        "authority_reports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("item_id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("decision_id", BIG_ID, nullable=True),
        sa.Column("authority", sa.String(length=64), nullable=False),
        sa.Column("law", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_authority_reports_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_authority_reports_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_authority_reports_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_user_id"], ["users.id"], name=op.f("fk_authority_reports_reported_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_reports")),
    )
    with op.batch_alter_table("authority_reports", schema=None) as batch_op:
        batch_op.create_index("ix_authority_reports_item_id_authority", ["item_id", "authority"], unique=False)


def downgrade():
    with op.batch_alter_table("authority_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_authority_reports_item_id_authority")
    op.drop_table("authority_reports")
    with op.batch_alter_table("evidence_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_holds_item_id_ends_at")
    op.drop_table("evidence_holds")
