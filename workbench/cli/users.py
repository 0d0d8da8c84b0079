"""`flask users …`: staff accounts from the command line (the way in when no admin can log in).

Every command is audited with the actor system:cli, like the admin pages with the admin's id.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db, get_redis
from workbench.models import ROLES
from workbench.services.access.scope import ScopeError
from workbench.services.accounts.login_throttle import LoginThrottle, ThrottleSettings
from workbench.services.accounts.second_factor import SecondFactorUnavailable, reset, stored_secret
from workbench.services.accounts.users import (
    AccountError,
    PasswordRejected,
    create_user,
    find_user,
    generate_password,
    list_users,
    reset_password,
    set_active,
    set_role,
    set_scope,
    unlock_login,
)
from workbench.settings import current as current_settings

users_cli = AppGroup("users", help="Staff accounts.")

_JURISDICTIONS_HELP = "Comma-separated: country codes (DE,FR), EU, or GLOBAL."
_LANGUAGES_HELP = "Comma-separated ISO 639-1 codes (de,en), or '*' for any language."


def _user(username: str):
    user = find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


def _run(action, *args, **kwargs):
    """Service errors become a one-line message and exit status 1, not a traceback."""
    try:
        return action(*args, **kwargs)
    except (AccountError, PasswordRejected, ScopeError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", help="Default: a random password, printed once.")
@click.option("--jurisdictions", default="", help=_JURISDICTIONS_HELP)
@click.option("--languages", default="", help=_LANGUAGES_HELP)
def create_user_command(username: str, role: str, password: str | None, jurisdictions: str, languages: str) -> None:
    """Create an account. Without a scope it sees no case: see set-scope."""
    chosen = password or generate_password()
    user = _run(
        create_user,
        db.session,
        username,
        role,
        chosen,
        CLI_ACTOR,
        settings=current_settings(),
        jurisdictions=jurisdictions,
        languages=languages,
    )
    click.echo(f"user {user.username} ({role}) created; password: {chosen}")
    if not user.jurisdictions or not user.languages:
        click.echo("note: no jurisdictions or languages yet, so this user sees no case (flask users set-scope)")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(username: str, role: str) -> None:
    changed = _run(set_role, db.session, _user(username), role, CLI_ACTOR)
    click.echo(f"{username}: role {role}" + ("" if changed else " (unchanged)"))


@users_cli.command("set-scope")
@click.argument("username")
@click.option("--jurisdictions", required=True, help=_JURISDICTIONS_HELP)
@click.option("--languages", required=True, help=_LANGUAGES_HELP)
def set_scope_command(username: str, jurisdictions: str, languages: str) -> None:
    """Set the jurisdictions and languages a user works on (replaces both)."""
    user = _user(username)
    changed = _run(set_scope, db.session, user, jurisdictions, languages, CLI_ACTOR)
    click.echo(
        f"{username}: jurisdictions {','.join(user.jurisdictions) or '-'}; "
        f"languages {','.join(user.languages) or '-'}" + ("" if changed else " (unchanged)")
    )


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Refuse further logins and end the user's sessions."""
    changed = _run(set_active, db.session, _user(username), False, CLI_ACTOR)
    click.echo(f"{username}: deactivated" + ("" if changed else " (already)"))


@users_cli.command("activate")
@click.argument("username")
def activate_command(username: str) -> None:
    changed = _run(set_active, db.session, _user(username), True, CLI_ACTOR)
    click.echo(f"{username}: active" + ("" if changed else " (already)"))


@users_cli.command("reset-password")
@click.argument("username")
def reset_password_command(username: str) -> None:
    """Print a new random password; the user must choose their own at the next login."""
    click.echo(
        f"{username}: new password (shown once): {reset_password(db.session, _user(username), CLI_ACTOR, settings=current_settings())}"
    )


@users_cli.command("reset-two-factor")
@click.argument("username")
def reset_two_factor_command(username: str) -> None:
    """Remove the user's TOTP second factor (lost phone); they may enrol again."""
    done = reset(db.session, _user(username), CLI_ACTOR)
    click.echo(f"{username}: two-factor " + ("reset" if done else "was not set"))


@users_cli.command("unlock")
@click.argument("username")
def unlock_command(username: str) -> None:
    """Forget the account's failed logins (ends its login backoff at once)."""
    throttle = LoginThrottle(get_redis(), ThrottleSettings.from_settings(current_settings()))
    cleared = unlock_login(db.session, _user(username), throttle, CLI_ACTOR)
    click.echo(f"{username}: " + ("unlocked" if cleared else "Redis unreachable; the wait ends on its own"))


@users_cli.command("check-two-factor")
def check_two_factor_command() -> None:
    """Check that every stored TOTP secret opens with the key in WORKBENCH_TOTP_KEY_FILE."""
    enrolled = [user for user in list_users(db.session) if user.totp_secret]
    broken = []
    for user in enrolled:
        try:
            stored_secret(user, current_settings().totp_key_file)
        except SecondFactorUnavailable as exc:
            broken.append(user.username)
            click.echo(f"{user.username}: {exc.detail}", err=True)
    if broken:
        raise click.ClickException(
            f"{len(broken)} of {len(enrolled)} second factor(s) cannot be checked with the key in "
            f"{current_settings().totp_key_file}: restore the key file they were encrypted with, "
            "or reset them (flask users reset-two-factor NAME)"
        )
    click.echo(f"{len(enrolled)} second factor(s) open with the key in {current_settings().totp_key_file}")


@users_cli.command("list")
def list_command() -> None:
    """One line per account: username, role, status, two-factor, jurisdictions, languages."""
    for user in list_users(db.session):
        status = "active" if user.active else "deactivated"
        click.echo(
            "\t".join(
                [
                    user.username,
                    user.role,
                    status,
                    "totp" if user.totp_enabled else "-",
                    ",".join(user.jurisdictions or []) or "-",
                    ",".join(user.languages or []) or "-",
                ]
            )
        )
