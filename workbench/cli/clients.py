"""flask clients create | list | scopes | set-scopes: platforms and their API keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db
from workbench.models import ApiClient
from workbench.services.platforms import clients as api_clients
from workbench.services.platforms.scopes import DEFAULT_SCOPES, SCOPES, parse_scope_text
from workbench.services.validation import ValidationFailed

clients_cli = AppGroup("clients", help="API clients (platforms).")


def _scopes(values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return parse_scope_text(" ".join(values))
    except ValidationFailed as exc:
        raise click.ClickException(exc.message) from exc


@clients_cli.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "values",
    multiple=True,
    help="What the key may do (repeat, or comma-separate); "
    "default: items, reports, appeals, webhooks. See `flask clients scopes`.",
)
def create_client_command(name: str, values: tuple[str, ...]) -> None:
    """Create an API client and print its key (shown only once)."""
    scopes = _scopes(values) if values else DEFAULT_SCOPES
    try:
        issued = api_clients.create_client(db.session, name, CLI_ACTOR, scopes)
    except ValidationFailed as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"API client {issued.client.id} '{name}' created with scopes: {' '.join(scopes) or '(none)'}")
    click.echo("Key (store it now, it is not kept):")
    click.echo(issued.key)


@clients_cli.command("list")
def list_command() -> None:
    """Every API client with its key prefix and scopes."""
    from sqlalchemy import select

    for client in db.session.scalars(select(ApiClient).order_by(ApiClient.name)):
        state = "" if client.is_active else "  (revoked)"
        scopes = client.scopes or "(no scopes)"
        click.echo(f"{client.id:>4}  {client.name:<30} wb_{client.key_prefix}_…  {scopes}{state}")


@clients_cli.command("scopes")
def scopes_command() -> None:
    """The scopes a key can carry, and what each allows."""
    for scope, text in SCOPES.items():
        default = " (default)" if scope in DEFAULT_SCOPES else ""
        click.echo(f"{scope:<12} {text}{default}")


@clients_cli.command("set-scopes")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, help="A scope the key keeps or gets (repeat, or comma-separate).")
@click.option("--none", "no_scopes", is_flag=True, help="Take every scope away (the key then can do nothing).")
def set_scopes_command(name: str, scopes: tuple[str, ...], no_scopes: bool) -> None:
    """Give client NAME's key exactly the scopes named (audited with the old and new set)."""
    if bool(scopes) == no_scopes:
        raise click.UsageError("name the scopes with --scope, or pass --none")
    chosen = () if no_scopes else _scopes(scopes)
    client = api_clients.find_client(db.session, name)
    if client is None:
        raise click.ClickException(f"no API client named {name!r}")
    old = client.scopes
    if api_clients.set_scopes(db.session, client, chosen, CLI_ACTOR):
        click.echo(f"'{name}': {old or '(none)'} -> {client.scopes or '(none)'}")
    else:
        click.echo(f"'{name}' already has exactly: {client.scopes or '(none)'}")
