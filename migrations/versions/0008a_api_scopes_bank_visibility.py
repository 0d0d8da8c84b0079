"""API key scopes; hash-bank visibility and owner

Existing keys keep what they could use before, except the hash banks: they get items,
reports, appeals and webhooks, never banks:read or banks:write (an admin grants those).
Existing banks become private to staff and have no owner, so they go on matching every
platform's items as before.

Revision ID: 0008a
Revises: 0007
Create Date: 2026-12-01 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008a"
down_revision = "0007"
branch_labels = None
depends_on = None

# workbench.services.platforms.scopes.DEFAULT_SCOPES when this was written (kept literal: a
# migration must not change when the code's default does).
SCOPES_OF_EXISTING_KEYS = "items reports appeals webhooks"


def upgrade():
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=200), server_default="", nullable=False))
    op.execute(sa.text("UPDATE api_clients SET scopes = :scopes").bindparams(scopes=SCOPES_OF_EXISTING_KEYS))

    with op.batch_alter_table("hash_banks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visibility", sa.String(length=16), server_default="private", nullable=False))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a nullable column with its reference in place; rebuilding hash_banks
        # (what a batch foreign key would do) fails once other tables' rows refer to it.
        op.execute(
            "ALTER TABLE hash_banks ADD COLUMN owner_client_id INTEGER "
            "CONSTRAINT fk_hash_banks_owner_client_id_api_clients REFERENCES api_clients (id)"
        )
    else:
        op.add_column("hash_banks", sa.Column("owner_client_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_hash_banks_owner_client_id_api_clients"), "hash_banks", "api_clients", ["owner_client_id"], ["id"]
        )
    with op.batch_alter_table("hash_banks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hash_banks_owner_client_id"), ["owner_client_id"], unique=False)


def downgrade():
    # On SQLite this rebuilds hash_banks, which needs the rows that refer to it gone (or
    # foreign keys off); PostgreSQL drops the columns in place.
    with op.batch_alter_table("hash_banks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hash_banks_owner_client_id"))
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(batch_op.f("fk_hash_banks_owner_client_id_api_clients"), type_="foreignkey")
        batch_op.drop_column("owner_client_id")
        batch_op.drop_column("visibility")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("scopes")
