"""flask policies seed | list | publish | reevaluate-stale | reevaluate-open."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import exists, func, select

from policies import validate_pack_text
from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db
from workbench.models import Case, CaseStatus, Item, ItemStatus, PolicyEvaluation, Report
from workbench.services.policy.packs import PublishRefused, ensure_default_packs, list_packs, publish_text
from workbench.services.policy.reevaluation import reevaluate_item
from workbench.settings import current as current_settings

policies_cli = AppGroup("policies", help="Policy packs (region-specific rules).")


@policies_cli.command("seed")
def seed_command() -> None:
    """Publish the default packs as version 1 where a pack has no version (idempotent)."""
    published = ensure_default_packs(db.session)
    click.echo(f"published {len(published)} default pack(s): {', '.join(v.label for v in published) or 'none needed'}")


@policies_cli.command("list")
def list_command() -> None:
    """The packs and the version in force of each."""
    for pack, current, drafts in list_packs(db.session):
        in_force = f"version {current.number} ({current.sha256[:12]}, {current.published_by})" if current else "none"
        click.echo(f"{pack.jurisdiction:<7} {in_force}; {drafts} open draft(s)")


@policies_cli.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", required=True, help="Why this version (kept with it and in the audit log).")
def publish_command(path: Path, note: str) -> None:
    """Publish a pack file as the next version of its jurisdiction's pack."""
    text = path.read_text(encoding="utf-8")
    report = validate_pack_text(text)
    jurisdiction = (report.data or {}).get("jurisdiction") if isinstance(report.data, dict) else None
    try:
        version = publish_text(db.session, str(jurisdiction or ""), text, CLI_ACTOR, note)
    except PublishRefused as exc:
        for issue in exc.report.errors:
            click.echo(f"{path}:{issue.line}:{issue.column}: {issue.message}", err=True)
        raise click.ClickException("not published; the version in force is unchanged") from exc
    click.echo(f"published {version.label} (sha256 {version.sha256})")


@policies_cli.command("reevaluate-stale")
@click.option("--limit", default=1000, show_default=True)
def reevaluate_stale_command(limit: int) -> None:
    """Re-evaluate processed items with a report newer than their evaluation (e.g. Redis lost
    the re-evaluation job), or never evaluated."""
    last_evaluated = (
        select(func.max(PolicyEvaluation.facts_as_of)).where(PolicyEvaluation.item_id == Item.id).scalar_subquery()
    )
    stale = (
        select(Item.id)
        .where(
            Item.status == ItemStatus.PROCESSED,
            (last_evaluated.is_(None)) | exists().where(Report.item_id == Item.id, Report.received_at > last_evaluated),
        )
        .order_by(Item.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(stale))
    db.session.rollback()
    outcomes: dict[str, int] = {}
    for item_id in ids:
        outcome = reevaluate_item(db.session, item_id, settings=current_settings())
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    click.echo(f"{len(ids)} item(s): {outcomes}")


@policies_cli.command("reevaluate-open")
@click.option("--limit", default=10000, show_default=True)
def reevaluate_open_command(limit: int) -> None:
    """Evaluate items with an open case again under the packs in force now (after a publish,
    e.g. when moving to the applicability model): a stricter deadline or queue tightens the
    case; nothing is loosened. Backtest the new versions before publishing them."""
    ids = list(
        db.session.scalars(
            select(Item.id)
            .where(
                Item.status == ItemStatus.PROCESSED,
                exists().where(Case.item_id == Item.id, Case.status == CaseStatus.OPEN),
            )
            .order_by(Item.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    outcomes: dict[str, int] = {}
    for item_id in ids:
        outcome = reevaluate_item(db.session, item_id, settings=current_settings(), trigger="publish")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    click.echo(f"{len(ids)} item(s): {outcomes}")
