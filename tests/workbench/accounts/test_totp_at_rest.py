"""TOTP secrets encrypted with a key file outside the database: what the database holds,
what happens with the wrong key, the key file itself, and the migration that seals old rows."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from sqlalchemy import select, text

from tests.support.accounts import PASSWORD, actions, code_text, log_in, post_form, text_of
from tests.support.factories import make_user
from tests.workbench.accounts.test_login_totp import SECRET, code_at, enable_totp
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import User
from workbench.services.accounts import second_factor, totp_secrets


def _stored(app, username: str) -> str:
    """The column as the database holds it, read with plain SQL."""
    with app.app_context():
        return db.session.execute(
            text("SELECT totp_secret FROM users WHERE username = :name"), {"name": username}
        ).scalar_one()


def test_the_database_never_holds_the_secret_and_login_still_works(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    page = text_of(client.get("/account/two-factor"))
    secret = code_text(page, "totp-secret").replace(" ", "")
    with client.session_transaction() as session:
        assert secret not in str(dict(session))  # the signed cookie is readable: it holds the secret sealed
    done = post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code_at(0, secret)})
    assert done.status_code == 302
    stored = _stored(app, "ana")
    assert stored.startswith("v1:") and secret not in stored.upper().replace("-", "").replace("_", "")
    fresh = app.test_client()
    assert log_in(fresh, "ana").headers["Location"].endswith("/login/code")
    assert post_form(fresh, "/login/code", {"code": code_at(30, secret)}).status_code == 302
    assert fresh.get("/").status_code == 200


def test_a_secret_sealed_with_another_key_fails_closed(app, client, tmp_path, caplog):
    make_user(app, "ana", "moderator")
    make_user(app, "boss", "admin")
    enable_totp(app, "ana")
    original = workbench_settings.of(app).totp_key_file
    totp_secrets.create_key_file(tmp_path / "other.key")
    workbench_settings.update(
        app, WORKBENCH_TOTP_KEY_FILE=str(tmp_path / "other.key")
    )  # a new server, the key not copied
    caplog.set_level(logging.ERROR)

    log_in(client, "ana")
    refused = post_form(client, "/login/code", {"code": code_at(30)})
    assert refused.status_code == 503 and "Ask an admin" in text_of(refused)
    assert client.get("/").status_code == 302  # not logged in: no code is accepted without the secret
    logged = [record.getMessage() for record in caplog.records if record.name == "workbench.services.accounts.login"]
    assert len(logged) == 1 and "encrypted with another key" in logged[0] and "WORKBENCH_TOTP_KEY_FILE" in logged[0]
    assert actions(app, "login.totp_failed") == []  # not the user's mistake: nothing counted

    checked = app.test_cli_runner().invoke(args=["users", "check-two-factor"])
    assert checked.exit_code == 1 and "1 of 1 second factor(s) cannot be checked" in checked.output

    workbench_settings.update(app, WORKBENCH_TOTP_KEY_FILE=original)  # the key restored: the same code step works
    assert post_form(client, "/login/code", {"code": code_at(30)}).status_code == 302
    assert "1 second factor(s) open" in app.test_cli_runner().invoke(args=["users", "check-two-factor"]).output


def test_turning_totp_off_with_the_wrong_key_is_refused_not_a_500(app, client, tmp_path):
    make_user(app, "ana", "moderator")
    enable_totp(app, "ana")
    log_in(client, "ana")
    assert post_form(client, "/login/code", {"code": code_at(30)}).status_code == 302
    totp_secrets.create_key_file(tmp_path / "other.key")
    workbench_settings.update(app, WORKBENCH_TOTP_KEY_FILE=str(tmp_path / "other.key"))
    refused = post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code_at(0)})
    assert refused.status_code == 503 and "An admin must restore the key file" in text_of(refused)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "ana")).totp_enabled


def test_enrolment_without_a_usable_key_is_refused_not_a_500(app, client, tmp_path):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    workbench_settings.update(app, WORKBENCH_TOTP_KEY_FILE=str(tmp_path / "not-deployed.key"))
    page = client.get("/account/two-factor")
    assert page.status_code == 503 and "cannot be turned on at the moment" in text_of(page)


def test_a_sealed_secret_copied_into_another_row_does_not_open(app):
    """Someone who can write the database copies their own sealed secret into the admin's row."""
    make_user(app, "mallory", "moderator")
    make_user(app, "boss", "admin")
    enable_totp(app, "mallory")
    with app.app_context():
        db.session.execute(
            text("UPDATE users SET totp_secret = :value, totp_enabled_at = CURRENT_TIMESTAMP WHERE username = 'boss'"),
            {"value": _stored(app, "mallory")},
        )
        db.session.commit()
        boss = db.session.scalar(select(User).where(User.username == "boss"))
        with pytest.raises(second_factor.SecondFactorUnavailable):
            second_factor.consume_code(
                db.session, boss, code_at(30), key_file=workbench_settings.current().totp_key_file
            )


def test_the_key_file_is_created_once_with_mode_0600(app, tmp_path):
    from workbench.config import ensure_instance_secrets
    from workbench.settings import Settings

    path = workbench_settings.of(app).totp_key_file  # the app created it at start-up
    assert path == os.path.join(app.instance_path, "totp.key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = open(path).read()
    assert len(bytes.fromhex(before.strip())) == totp_secrets.KEY_BYTES
    ensure_instance_secrets(Settings(secret_key="s", pseudonym_key="p", totp_key_file=path), app.instance_path)
    assert open(path).read() == before  # never replaced
    overridden = tmp_path / "keys" / "totp.key"
    config = Settings.from_env({"WORKBENCH_TOTP_KEY_FILE": str(overridden)}, str(tmp_path / "instance2"))
    assert config.totp_key_file == str(overridden)
    ensure_instance_secrets(
        config.with_values({"SECRET_KEY": "s", "WORKBENCH_PSEUDONYM_KEY": "p"}), str(tmp_path / "instance2")
    )
    assert stat.S_IMODE(os.stat(overridden).st_mode) == 0o600


def test_an_unreadable_key_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not hex\n")
    with pytest.raises(totp_secrets.TotpKeyError, match="must hold 64 hexadecimal characters"):
        totp_secrets.read_key_file(bad)
    with pytest.raises(totp_secrets.TotpKeyError, match="cannot read"):
        totp_secrets.read_key_file(tmp_path / "missing.key")
    key = totp_secrets.TotpKey(bytes(32))
    with pytest.raises(totp_secrets.TotpKeyError, match="not encrypted"):
        totp_secrets.unseal(key, SECRET, "user:1")
