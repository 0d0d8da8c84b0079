"""flask export audit | sor | transparency: what auditors and regulators receive."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from workbench.audit.checkpoints import create_checkpoint
from workbench.audit.keys import signer_key
from workbench.cli.common import CLI_ACTOR, DATE
from workbench.extensions import db
from workbench.services.exports.audit_bundle import export_audit_bundle
from workbench.services.exports.sor import InvalidStatement, write_sor_export
from workbench.services.exports.transparency import write_transparency_report
from workbench.settings import current as current_settings

export_cli = AppGroup("export", help="Exports for auditors and regulators.")


@export_cli.command("audit")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def export_audit_command(out_dir: str) -> None:
    """Write the audit bundle (events, checkpoints, public key, standalone verifier)."""
    key = signer_key(current_app)
    create_checkpoint(db.session, key)  # the bundle ends on a signed head
    summary = export_audit_bundle(db.session, key, out_dir)
    click.echo(f"{summary['events']} events, {summary['checkpoints']} checkpoints → {summary['path']}")


@export_cli.command("sor")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--since", type=DATE, help="First UTC day of decisions to include.")
@click.option("--until", type=DATE, help="Last UTC day of decisions to include.")
def export_sor_command(out_file: str, since: date | None, until: date | None) -> None:
    """DSA statements of reasons as JSONL, one Transparency Database batch (<= 100) per line."""
    if since and until and until < since:
        raise click.BadParameter("--until is before --since", param_hint="--until")
    try:
        count = write_sor_export(
            db.session, out_file, puid_key=current_settings().pseudonym_key, since=since, until=until, actor=CLI_ACTOR
        )
    except InvalidStatement as error:
        db.session.rollback()
        click.echo(f"FAILED, nothing written: {error}", err=True)
        sys.exit(1)
    click.echo(f"{count} statements of reasons → {out_file}")


@export_cli.command("transparency")
@click.option("--from", "date_from", required=True, type=DATE, help="First UTC day of the period.")
@click.option("--to", "date_to", required=True, type=DATE, help="Last UTC day of the period.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def export_transparency_command(date_from: date, date_to: date, out_dir: str) -> None:
    """DSA transparency report figures for a period, one CSV per table."""
    if date_to < date_from:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    paths = write_transparency_report(db.session, date_from, date_to, out_dir, actor=CLI_ACTOR)
    click.echo(f"{len(paths)} tables → {out_dir}")
