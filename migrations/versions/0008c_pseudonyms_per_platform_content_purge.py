"""pseudonyms per platform (re-key stored pseudonyms, record old -> new); items.content_purged_at

Revision ID: 0008c
Revises: 0008a

Pseudonyms used to be HMAC(key, user id) whatever the platform, so user "42" of two platforms
was one person. They are now HMAC(key, "v2" NUL client id NUL HMAC(key, user id)) (see
workbench/services/privacy/pseudonyms.py). The raw ids were never stored, but the old value is the
inner HMAC, so each stored pseudonym is re-keyed from itself and its row's client. Every
old -> new pair is recorded per client in pseudonym_rekeys. The audit log is not touched: its
events keep what they held, so the hash chain still verifies.

The key is read the way the app reads it (WORKBENCH_PSEUDONYM_KEY, else instance/pseudonym.key).
A key the app generated just now, while pseudonyms are stored, cannot be the one that made them:
the migration stops rather than write values that match no user.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, UTC

import sqlalchemy as sa
from alembic import op

revision = "0008c"
down_revision = "0008a"
branch_labels = None
depends_on = None

ERASED_AUTHOR = "erased"
BATCH = 2000
# (table, pseudonym column): every place a pseudonym is stored, each row with its client_id.
PSEUDONYM_COLUMNS = (
    ("items", "author_pseudonym"),
    ("reports", "reporter_pseudonym"),
    ("appeals", "complainant_pseudonym"),
)


class PseudonymKeyMissing(RuntimeError):
    pass


def new_pseudonym(key: str, client_id: int, old: str) -> str:
    # A frozen copy of workbench.services.privacy.pseudonyms.client_pseudonym: migrations must not change.
    return hmac.new(key.encode("utf-8"), f"v2\x00{int(client_id)}\x00{old}".encode(), hashlib.sha256).hexdigest()


def _rekeys_table() -> sa.Table:
    return sa.table(
        "pseudonym_rekeys",
        sa.column("id", sa.Integer),
        sa.column("client_id", sa.Integer),
        sa.column("old_pseudonym", sa.String),
        sa.column("new_pseudonym", sa.String),
        sa.column("rekeyed_at", sa.DateTime(timezone=True)),
    )


def _stored(table: str, column: str):
    t = sa.table(table, sa.column("client_id", sa.Integer), sa.column(column, sa.String))
    return t, t.c[column]


def _pseudonyms_stored(connection) -> bool:
    for table, column in PSEUDONYM_COLUMNS:
        t, value = _stored(table, column)
        if connection.execute(sa.select(value).where(value.is_not(None), value != ERASED_AUTHOR).limit(1)).first():
            return True
    return False


def pseudonym_key() -> str:
    """The key the app uses; PseudonymKeyMissing when there is none, or only one generated just now."""
    from flask import current_app, has_app_context  # the workbench runs migrations inside its app

    if has_app_context():
        from workbench.config import GENERATED_PSEUDONYM_KEY
        from workbench.settings import current

        generated = current_app.extensions.get(GENERATED_PSEUDONYM_KEY)
        if generated:
            # Remove it, or the next run would take it for the real key and re-key with it.
            try:
                os.unlink(generated)
            except FileNotFoundError:
                pass
            raise PseudonymKeyMissing(
                "Stored pseudonyms must be re-keyed with the pseudonym key that made them, but "
                "WORKBENCH_PSEUDONYM_KEY is unset and the instance folder had no pseudonym.key (the app "
                f"generated {generated} just now; it has been removed again). Set WORKBENCH_PSEUDONYM_KEY "
                "or restore pseudonym.key from your backup, then run the upgrade again. Nothing was changed."
            )
        key = current().pseudonym_key
    else:
        key = os.environ.get("WORKBENCH_PSEUDONYM_KEY")
    if not key:
        raise PseudonymKeyMissing(
            "Stored pseudonyms must be re-keyed, but no pseudonym key was found: set "
            "WORKBENCH_PSEUDONYM_KEY (or restore instance/pseudonym.key) and run the upgrade "
            "again. Nothing was changed."
        )
    return key


def rekey_pseudonyms(connection, key: str, *, now: datetime | None = None) -> dict[str, int]:
    """The data step: record old -> new per (client, old pseudonym), then rewrite the stored
    values from that table. Returns the rows rewritten per table, and the pairs recorded."""
    now = now or datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as workbench.models.base.UTCDateTime stores it
    rekeys = _rekeys_table()
    counts = {"pairs": 0}
    for table, column in PSEUDONYM_COLUMNS:
        t, value = _stored(table, column)
        known = sa.exists().where(rekeys.c.client_id == t.c.client_id, rekeys.c.old_pseudonym == value)
        last = None
        while True:  # distinct (client, pseudonym) pairs not recorded yet, in keyset pages
            query = sa.select(t.c.client_id, value).distinct().where(value.is_not(None), value != ERASED_AUTHOR, ~known)
            if last is not None:
                after = sa.tuple_(sa.literal(last[0]), sa.literal(last[1]))
                query = query.where(sa.tuple_(t.c.client_id, value) > after)
            page = connection.execute(query.order_by(t.c.client_id, value).limit(BATCH)).all()
            if not page:
                break
            connection.execute(
                rekeys.insert(),
                [
                    {
                        "client_id": client_id,
                        "old_pseudonym": old,
                        "new_pseudonym": new_pseudonym(key, client_id, old),
                        "rekeyed_at": now,
                    }
                    for client_id, old in page
                ],
            )
            counts["pairs"] += len(page)
            last = tuple(page[-1])
    for table, column in PSEUDONYM_COLUMNS:
        t, value = _stored(table, column)
        mapped = (
            sa.select(rekeys.c.new_pseudonym)
            .where(rekeys.c.client_id == t.c.client_id, rekeys.c.old_pseudonym == value)
            .scalar_subquery()
        )
        recorded = sa.exists().where(rekeys.c.client_id == t.c.client_id, rekeys.c.old_pseudonym == value)
        result = connection.execute(
            t.update().where(value.is_not(None), value != ERASED_AUTHOR, recorded).values({column: mapped})
        )
        counts[table] = result.rowcount
    return counts


def upgrade():
    connection = op.get_bind()
    # Fail before any change: a missing key must not leave a half-migrated database.
    key = pseudonym_key() if _pseudonyms_stored(connection) else None
    op.create_table(
        "pseudonym_rekeys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("old_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("new_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("rekeyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_clients.id"], name=op.f("fk_pseudonym_rekeys_client_id_api_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pseudonym_rekeys")),
        sa.UniqueConstraint("client_id", "old_pseudonym", name=op.f("uq_pseudonym_rekeys_client_id_old_pseudonym")),
    )
    with op.batch_alter_table("pseudonym_rekeys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pseudonym_rekeys_new_pseudonym"), ["new_pseudonym"], unique=False)
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_purged_at", sa.DateTime(timezone=True), nullable=True))
    if key is not None:
        rekey_pseudonyms(connection, key)


def downgrade():
    # The recorded old values come back; rows pseudonymised since the upgrade have none and keep theirs.
    connection = op.get_bind()
    rekeys = _rekeys_table()
    for table, column in PSEUDONYM_COLUMNS:
        t, value = _stored(table, column)
        old = (
            sa.select(rekeys.c.old_pseudonym)
            .where(rekeys.c.client_id == t.c.client_id, rekeys.c.new_pseudonym == value)
            .scalar_subquery()
        )
        recorded = sa.exists().where(rekeys.c.client_id == t.c.client_id, rekeys.c.new_pseudonym == value)
        connection.execute(t.update().where(value.is_not(None), recorded).values({column: old}))
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("content_purged_at")
    with op.batch_alter_table("pseudonym_rekeys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pseudonym_rekeys_new_pseudonym"))
    op.drop_table("pseudonym_rekeys")
