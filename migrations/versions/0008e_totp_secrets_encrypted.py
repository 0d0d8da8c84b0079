"""users.totp_secret: encrypted at rest with the TOTP key file (widened for the sealed form)

Revision ID: 0008e
Revises: 0008d

The key is found the way the app finds it (WORKBENCH_TOTP_KEY_FILE, by default `totp.key` in
the instance folder, created at start-up when missing). Every row is checked before any is
written: a secret that is neither valid base32 nor sealed with this very key stops the
migration with a message, rather than being sealed into something no code opens.
"""

import logging

from alembic import op
from alembic.util import CommandError
import sqlalchemy as sa

revision = "0008e"
down_revision = "0008d"
branch_labels = None
depends_on = None

_users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _key():
    from flask import current_app
    from workbench.services.accounts.totp_secrets import TotpKeyError, read_key_file
    from workbench.settings import of as settings_of

    path = settings_of(current_app).totp_key_file
    try:
        return path, read_key_file(path)
    except TotpKeyError as exc:
        raise CommandError(f"TOTP secrets not encrypted, nothing changed: {exc}") from exc


def _stored_secrets(bind) -> list:
    return bind.execute(
        sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.isnot(None), _users.c.totp_secret != "")
    ).all()


def _write(bind, values: dict) -> None:
    for user_id, value in values.items():
        bind.execute(sa.update(_users).where(_users.c.id == user_id).values(totp_secret=value))


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=True
        )
    bind = op.get_bind()
    rows = _stored_secrets(bind)
    if not rows:
        return
    from workbench.services.accounts.totp import decode_secret
    from workbench.services.accounts.totp_secrets import TotpKeyError, is_sealed, seal, unseal, user_context

    path, key = _key()
    sealed, problems = {}, []
    for user_id, stored in rows:
        if is_sealed(stored):
            try:
                unseal(key, stored, user_context(user_id))  # already done (a re-run): must open with this key
            except TotpKeyError as exc:
                problems.append(f"user {user_id}: {exc}")
            continue
        secret = stored.replace(" ", "").upper()
        try:
            valid = len(decode_secret(secret)) >= 10 and secret.isascii()
        except ValueError:
            valid = False
        if not valid:
            problems.append(f"user {user_id}: the stored TOTP secret is not a base32 secret")
            continue
        sealed[user_id] = seal(key, secret, user_context(user_id))
    if problems:
        raise CommandError(
            f"TOTP secrets not encrypted, nothing changed (key file {path}): "
            + "; ".join(problems)
            + ". Restore the key file they were sealed with, or reset those users' second factor "
            "(flask users reset-two-factor NAME) and run the upgrade again."
        )
    _write(bind, sealed)
    logging.getLogger("alembic.env").info(
        "Encrypted the TOTP secrets of %d account(s) with the key in %s: back it up, and give every web server "
        "the same file (WORKBENCH_TOTP_KEY_FILE).",
        len(sealed),
        path,
    )


def downgrade():
    bind = op.get_bind()
    rows = _stored_secrets(bind)
    if rows:
        from workbench.services.accounts.totp_secrets import TotpKeyError, is_sealed, unseal, user_context

        path, key = _key()
        plain, problems = {}, []
        for user_id, stored in rows:
            if not is_sealed(stored):
                continue
            try:
                plain[user_id] = unseal(key, stored, user_context(user_id))
            except TotpKeyError as exc:
                problems.append(f"user {user_id}: {exc}")
        if problems:
            raise CommandError(f"TOTP secrets not decrypted, nothing changed (key file {path}): " + "; ".join(problems))
        _write(bind, plain)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=True
        )
