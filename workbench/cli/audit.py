"""flask audit verify | checkpoint | grants: the verifiable audit log."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

import workbench.models  # noqa: F401  (every table, for the grants)
from workbench.audit.checkpoints import create_checkpoint, verify_log
from workbench.audit.db_grants import app_role_grants
from workbench.audit.keys import signer_key
from workbench.extensions import db

audit_cli = AppGroup("audit", help="The verifiable audit log.")


@audit_cli.command("verify")
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for a large log (default: one per core).",
)
def verify_command(processes: int | None) -> None:
    """Walk the hash chain and the signed checkpoints; name the first broken event."""
    result = verify_log(db.session, signer_key(current_app), processes=processes)
    db.session.rollback()
    if result.ok:
        click.echo(f"OK: {result.events} events, {result.checkpoints} signed checkpoints verified")
        return
    click.echo(f"FAILED: first broken event {result.first_bad_event}", err=True)
    for problem in result.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the current tree head (the sweeper also does this periodically)."""
    checkpoint = create_checkpoint(db.session, signer_key(current_app))
    click.echo(
        f"checkpoint at {checkpoint.tree_size} events"
        if checkpoint
        else "no new checkpoint (no new events, or one is missing: run `flask audit verify`)"
    )


@audit_cli.command("grants")
@click.argument("role")
def grants_command(role: str) -> None:
    """Print the PostgreSQL grants for an app role that does not own the tables (run them as
    the owner after every `flask db upgrade`): no UPDATE, DELETE or TRUNCATE on the audit log."""
    try:
        statements = app_role_grants(role, db.metadata)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ROLE") from exc
    click.echo(";\n".join(statements) + ";")
