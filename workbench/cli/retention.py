"""flask retention run [--dry-run] | plan: purging stored content after its retention period."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from workbench.extensions import db
from workbench.models.base import utcnow
from workbench.services.privacy.retention import RetentionSettings, iter_plans, run_retention_round
from workbench.settings import current as current_settings

retention_cli = AppGroup("retention", help="Content retention and evidence holds.")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what is due; change nothing.")
@click.option("--limit", type=click.IntRange(min=1), help="Purge at most this many items.")
def run_command(dry_run: bool, limit: int | None) -> None:
    """Purge the content of every item whose retention period and evidence holds have ended."""
    report = run_retention_round(db.session, current_settings(), dry_run=dry_run, limit=limit)
    for plan in report.purged:
        hold = plan.binding_hold
        click.echo(
            f"{'due' if dry_run else 'purged'} item {plan.item_id} "
            f"after {_when(plan.purge_after)} ({hold.source if hold else plan.basis})"
        )
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} {len(report.purged)} item(s); {report.skipped} no longer due when locked")
    if not dry_run:
        click.echo(f"{report.files_deleted} file(s) deleted; {len(report.exports_expired)} export(s) expired")
    if report.leftovers is not None and (report.leftovers.deleted or report.leftovers.failed):
        click.echo(
            f"leftover files of earlier purges: {report.leftovers.deleted} deleted, "
            f"{report.leftovers.failed} still cannot be deleted"
        )


@retention_cli.command("plan")
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Show items due within this many days.",
)
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
def plan_command(within_days: int, limit: int) -> None:
    """When each item's content will be purged, and the evidence hold that keeps it, if any."""
    settings = RetentionSettings.from_settings(current_settings())
    horizon = utcnow() + timedelta(days=within_days)
    rows = []
    for plan in iter_plans(db.session, settings, created_before=horizon - timedelta(days=settings.default_days)):
        if plan.pending or plan.purge_after <= horizon:
            rows.append(plan)
    db.session.rollback()
    rows.sort(key=lambda plan: (plan.purge_after is None, plan.purge_after or horizon))
    click.echo(f"{'item':>10}  {'purge after':20}  why")
    for plan in rows[:limit]:
        hold = plan.binding_hold
        why = plan.pending or (
            f"hold: {hold.source} - {hold.citation}"
            if hold
            else f"default {settings.default_days} days after {plan.basis}"
        )
        click.echo(f"{plan.item_id:>10}  {_when(plan.purge_after) if not plan.pending else 'not scheduled':20}  {why}")
    click.echo(f"{len(rows)} item(s) due within {within_days} day(s) or waiting on a case")
