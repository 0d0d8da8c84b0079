"""`flask users …`: every command, its errors as messages, its audit events."""

from __future__ import annotations

import re

from tests.support.accounts import audit_events, log_in


def run(app, *args):
    return app.test_cli_runner().invoke(args=["users", *args])


def test_create_list_and_log_in(app):
    result = run(app, "create", "ana", "--role", "moderator", "--jurisdictions", "EU,GB", "--languages", "de,en")
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    assert "sees no case" not in result.output
    listing = run(app, "list").output
    assert "ana\tmoderator\tactive\t-\tEU,GB\tde,en" in listing
    assert log_in(app.test_client(), "ana", password).status_code == 302
    created = audit_events(app, "user.created")[0]
    assert (created.actor_type, created.actor_id) == ("system", "cli")


def test_create_without_scope_warns(app):
    result = run(app, "create", "ben", "--role", "auditor", "--password", "a long enough one")
    assert result.exit_code == 0 and "sees no case" in result.output


def test_errors_are_messages_not_tracebacks(app):
    weak = run(app, "create", "ana", "--role", "moderator", "--password", "short")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    bad_role = run(app, "create", "ana", "--role", "king")
    assert bad_role.exit_code == 2 and "king" in bad_role.output
    assert run(app, "set-role", "nobody", "admin").exit_code == 1
    run(app, "create", "ana", "--role", "moderator")
    bad_scope = run(app, "set-scope", "ana", "--jurisdictions", "Narnia", "--languages", "de")
    assert bad_scope.exit_code == 1 and "'Narnia' is not a country code" in bad_scope.output
    duplicate = run(app, "create", "ANA", "--role", "moderator")
    assert duplicate.exit_code == 1 and "taken" in duplicate.output


def test_set_role_scope_deactivate_and_recovery_commands(app):
    run(app, "create", "root", "--role", "admin")
    run(app, "create", "ana", "--role", "moderator")
    assert "senior_moderator" in run(app, "set-role", "ana", "senior_moderator").output
    assert (
        "jurisdictions DE,FR; languages *"
        in run(app, "set-scope", "ana", "--jurisdictions", "fr de", "--languages", "*").output
    )
    assert run(app, "deactivate", "ana").exit_code == 0
    assert "ana\tsenior_moderator\tdeactivated" in run(app, "list").output
    last_admin = run(app, "deactivate", "root")
    assert last_admin.exit_code == 1 and "last active admin" in last_admin.output
    assert run(app, "activate", "ana").exit_code == 0
    new_password = run(app, "reset-password", "ana").output.rsplit(" ", 1)[-1].strip()
    client = app.test_client()
    assert log_in(client, "ana", new_password).status_code == 302
    assert client.get("/").headers["Location"].endswith("/account/password")
    assert "was not set" in run(app, "reset-two-factor", "ana").output
    assert "unlocked" in run(app, "unlock", "ana").output
    assert [event.action for event in audit_events(app, "user.")][2:] == [
        "user.role_changed",
        "user.scope_changed",
        "user.deactivated",
        "user.activated",
        "user.password_reset",
        "user.lockout_cleared",
    ]
