"""flask privacy erase | export: GDPR requests from the command line; holds | hold | release-hold:
evidence holds; backfill-holds: once after upgrading to rows for holds (migration 0009b).

Pseudonyms are per platform, so every request names the platform (the API client's name).
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db
from workbench.models import Item
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.decision_holds import backfill_holds
from workbench.services.privacy.erasure import erase_person
from workbench.services.privacy.holds import HoldError, HoldNotFound, active_holds, place_manual_hold, release_hold
from workbench.services.privacy.subject_access import UnknownPlatform, platform, subject_access_export
from workbench.settings import current as current_settings

privacy_cli = AppGroup("privacy", help="GDPR erasure and subject-access requests.")
PLATFORM_HELP = "The platform (API client name) the person is a user of."


def _platform_id(name: str) -> int:
    try:
        return platform(db.session, name).id
    except UnknownPlatform:
        raise click.BadParameter(f"no API client named {name!r}", param_hint="--platform") from None


@privacy_cli.command("erase")
@click.option("--platform", "platform_name", required=True, help=PLATFORM_HELP)
@click.option("--user-id", help="The platform's user id of the person.")
@click.option("--email", help="The e-mail address the person gave as a reporter or complainant.")
def erase_command(platform_name: str, user_id: str | None, email: str | None) -> None:
    """Erase a person's content and contact details (the audit chain stays verifiable)."""
    if not user_id and not email:
        raise click.UsageError("give --user-id and/or --email")
    settings = current_settings()
    outcome = erase_person(
        db.session,
        actor=CLI_ACTOR,
        pseudonym_key=settings.pseudonym_key,
        blob_store=BlobStore(settings.blob_dir),
        client_id=_platform_id(platform_name),
        platform_user_id=user_id,
        email=email,
        export_dir=settings.export_dir,
    )
    click.echo(
        f"erasure request {outcome.request_id}: {outcome.items_erased} item(s) erased, "
        f"{len(outcome.blobs_purged)} blob(s) purged, {outcome.contacts_erased} contact(s) erased, "
        f"{len(outcome.held)} item(s) held, {len(outcome.exports_expired)} finished export(s) deleted"
    )
    for hold in outcome.held:
        click.echo(f"  item {hold['item_id']} kept: {hold['reason']}")


@privacy_cli.command("export")
@click.option("--platform", "platform_name", required=True, help=PLATFORM_HELP)
@click.option("--user-id", required=True)
@click.option("--out", "out_file", type=click.File("w"), default="-")
def export_command(platform_name: str, user_id: str, out_file) -> None:
    """Everything held about one person, as JSON (GDPR Art. 15)."""
    document = subject_access_export(
        db.session,
        pseudonym_key=current_settings().pseudonym_key,
        client_id=_platform_id(platform_name),
        platform_user_id=user_id,
    )
    json.dump(document, out_file, indent=2, ensure_ascii=False)
    out_file.write("\n")


@privacy_cli.command("holds")
@click.argument("item_id", type=int)
def holds_command(item_id: int) -> None:
    """The item's active evidence holds."""
    found = active_holds(db.session, item_id)
    for hold in found:
        click.echo(
            f"{hold.id:>8}  {hold.origin:<9} {hold.jurisdiction:<6} until {hold.ends_at:%Y-%m-%d %H:%M}  {hold.reason}"
        )
    click.echo(f"{len(found)} active hold(s)")


@privacy_cli.command("hold")
@click.argument("item_id", type=int)
@click.option("--reason", required=True)
@click.option("--citation", required=True, help='e.g. "18 U.S.C. 2703(f) request ref ..."')
@click.option("--jurisdiction", required=True, help="country code or EU")
@click.option("--period", required=True, help="ISO 8601 period from now: P90D, P6M, P1Y")
def hold_command(item_id: int, reason: str, citation: str, jurisdiction: str, period: str) -> None:
    """Place a manual legal hold on an item."""
    item = db.session.get(Item, item_id)
    if item is None:
        raise click.BadParameter(f"no item {item_id}", param_hint="ITEM_ID")
    try:
        hold = place_manual_hold(
            db.session, item, CLI_ACTOR, reason=reason, citation=citation, jurisdiction=jurisdiction, period=period
        )
    except HoldError as error:
        db.session.rollback()
        raise click.BadParameter(error.message, param_hint=f"--{error.field or 'period'}".replace("_", "-")) from None
    db.session.commit()
    click.echo(f"hold {hold.id} placed on item {item_id} until {hold.ends_at:%Y-%m-%d %H:%M} UTC")


@privacy_cli.command("release-hold")
@click.argument("hold_id", type=int)
@click.option("--reason", required=True)
def release_hold_command(hold_id: int, reason: str) -> None:
    """Release a manual legal hold."""
    try:
        release_hold(db.session, hold_id, CLI_ACTOR, reason=reason)
    except HoldNotFound:
        raise click.BadParameter(f"no hold {hold_id}", param_hint="HOLD_ID") from None
    except HoldError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from None
    db.session.commit()
    click.echo(f"hold {hold_id} released")


@privacy_cli.command("backfill-holds")
def backfill_holds_command() -> None:
    """Write the evidence holds of hash-bank matches and decisions made before holds were rows
    (run once after `flask db upgrade` to 0009b, before the next retention round; safe to rerun)."""
    report = backfill_holds(db.session)
    click.echo(
        f"{report.placed} hold(s) placed: {report.bank_items} bank-matched item(s), "
        f"{report.decisions} restricting decision(s) checked"
    )
