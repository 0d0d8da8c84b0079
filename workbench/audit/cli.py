"""flask audit verify | checkpoint, and flask export audit."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from workbench.extensions import db

audit_cli = AppGroup("audit", help="The verifiable audit log.")
export_cli = AppGroup("export", help="Exports for auditors and regulators.")


def signing_key():
    """The private key, for the signer only (sweeper, these commands, the export worker): it
    also publishes the public key file that web processes read (keys.py)."""
    from workbench.audit.keys import load_or_create_signing_key, public_key_path
    cached = current_app.extensions.get("workbench_audit_key")
    if cached is None:
        cached = load_or_create_signing_key(current_app.config["WORKBENCH_AUDIT_SIGNING_KEY"],
                                            public_key_path(current_app.config))
        current_app.extensions["workbench_audit_key"] = cached
    return cached


@audit_cli.command("verify")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Worker processes for a large log (default: one per core).")
def verify_command(processes: int | None) -> None:
    """Walk the hash chain and the signed checkpoints; name the first broken event."""
    from workbench.audit.checkpoints import verify_log
    result = verify_log(db.session, signing_key(), processes=processes)
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
    from workbench.audit.checkpoints import create_checkpoint
    checkpoint = create_checkpoint(db.session, signing_key())
    click.echo(f"checkpoint at {checkpoint.tree_size} events" if checkpoint
               else "no new checkpoint (no new events, or one is missing: run `flask audit verify`)")


@audit_cli.command("grants")
@click.argument("role")
def grants_command(role: str) -> None:
    """Print the PostgreSQL grants for an app role that does not own the tables (run them as
    the owner after every `flask db upgrade`): no UPDATE, DELETE or TRUNCATE on the audit log."""
    import workbench.models  # noqa: F401  (every table)
    from workbench.audit.db_grants import app_role_grants
    try:
        statements = app_role_grants(role, db.metadata)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ROLE") from exc
    click.echo(";\n".join(statements) + ";")


@export_cli.command("audit")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def export_audit_command(out_dir: str) -> None:
    """Write the audit bundle (events, checkpoints, public key, standalone verifier)."""
    from workbench.audit.checkpoints import create_checkpoint
    from workbench.exports.audit_bundle import export_audit_bundle
    create_checkpoint(db.session, signing_key())  # the bundle ends on a signed head
    summary = export_audit_bundle(db.session, signing_key(), out_dir)
    click.echo(f"{summary['events']} events, {summary['checkpoints']} checkpoints → {summary['path']}")


# The regulator exports (statements of reasons, transparency report) add their commands to the group.
from workbench.exports import cli as _regulator_exports  # noqa: E402,F401
