"""flask privacy erase | export: GDPR requests from the command line.

Pseudonyms are per platform, so every request names the platform (the API client's name).
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.erasure import erase_person
from workbench.services.privacy.subject_access import UnknownPlatform, platform, subject_access_export

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
    config = current_app.config
    outcome = erase_person(
        db.session,
        actor=CLI_ACTOR,
        pseudonym_key=config["WORKBENCH_PSEUDONYM_KEY"],
        blob_store=BlobStore(config["WORKBENCH_BLOB_DIR"]),
        client_id=_platform_id(platform_name),
        platform_user_id=user_id,
        email=email,
        export_dir=config["WORKBENCH_EXPORT_DIR"],
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
        pseudonym_key=current_app.config["WORKBENCH_PSEUDONYM_KEY"],
        client_id=_platform_id(platform_name),
        platform_user_id=user_id,
    )
    json.dump(document, out_file, indent=2, ensure_ascii=False)
    out_file.write("\n")
