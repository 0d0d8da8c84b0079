"""`flask banks sharing BANK`: which platforms see a bank, and which one owns it (audited)."""
from __future__ import annotations

import click

from workbench.banks_cli import CLI_ACTOR, _bank, banks_cli
from workbench.extensions import db
from workbench.models.hash_bank import BANK_VISIBILITIES


@banks_cli.command("sharing")
@click.argument("bank")
@click.option("--visibility", type=click.Choice(BANK_VISIBILITIES), help="private (default) or shared-read.")
@click.option("--owner", help="The API client (name) that owns the bank: it may change it over the API, "
                              "and the bank matches only its items.")
@click.option("--staff", "staff_owned", is_flag=True, help="No owner: the bank matches every platform's items.")
def sharing_command(bank: str, visibility: str | None, owner: str | None, staff_owned: bool) -> None:
    """Show BANK's visibility and owner, or change them."""
    from workbench.services.api_clients import find_client
    from workbench.services.hash_banks.access import parse_sharing_fields
    from workbench.services.hash_banks.banks import update_bank
    from workbench.services.validation import ValidationFailed
    if owner and staff_owned:
        raise click.UsageError("pass --owner or --staff, not both")
    target = _bank(bank)
    data: dict = {}
    if visibility:
        data["visibility"] = visibility
    if staff_owned:
        data["owner_client_id"] = None
    elif owner:
        client = find_client(db.session, owner)
        if client is None:
            raise click.ClickException(f"no API client named {owner!r}")
        data["owner_client_id"] = client.id
    if data:
        try:
            update_bank(db.session, target, parse_sharing_fields(db.session, data), CLI_ACTOR)
        except ValidationFailed as exc:
            raise click.ClickException(exc.message) from exc
    owned_by = target.owner.name if target.owner is not None else "staff"
    click.echo(f"bank {target.id} '{target.name}': {target.visibility}, owned by {owned_by}")
