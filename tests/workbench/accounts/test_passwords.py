"""The password policy, where it is enforced, and changing one's own password."""

from __future__ import annotations

import pytest

from tests.support.accounts import PASSWORD, actions, log_in, post_form, text_of
from tests.support.factories import TEST_ACTOR, make_user
from workbench import settings as workbench_settings
from workbench.services.accounts.passwords import PasswordRejected, check_password_policy, generate_password

DEFAULT_MIN = workbench_settings.defaults().password_min_length  # 12


@pytest.mark.parametrize(
    "password,username,message",
    [
        ("short", "ana", "at least 12"),
        ("elevenchars", "ana", "at least 12"),
        ("x" * 257, "ana", "at most 256"),
        (" " * 14, "ana", "only spaces"),
        ("maria.lopez-01", "maria.lopez-01", "not be the username"),
        ("Maria.Lopez-01 ", "maria.lopez-01", "not be the username"),
    ],
)
def test_policy_refuses(password, username, message):
    with pytest.raises(PasswordRejected, match=message):
        check_password_policy(password, username, min_length=DEFAULT_MIN)


def test_policy_accepts_a_long_passphrase_and_generated_passwords():
    check_password_policy("twelve chars", "ana", min_length=DEFAULT_MIN)
    check_password_policy(generate_password(), "ana", min_length=DEFAULT_MIN)
    assert generate_password() != generate_password()


def test_minimum_length_comes_from_the_configuration(app):
    from workbench.extensions import db
    from workbench.services.accounts.users import create_user

    workbench_settings.update(app, WORKBENCH_PASSWORD_MIN_LENGTH=20)
    with app.app_context(), pytest.raises(PasswordRejected, match="at least 20"):
        create_user(
            db.session, "ana", "moderator", "nineteen characters", TEST_ACTOR, settings=workbench_settings.current()
        )


def test_create_user_refuses_a_weak_password_and_writes_nothing(app):
    from workbench.extensions import db
    from workbench.services.accounts.users import create_user, find_user

    with app.app_context():
        with pytest.raises(PasswordRejected):
            create_user(db.session, "weak", "moderator", "weak", TEST_ACTOR, settings=workbench_settings.current())
        db.session.rollback()
        assert find_user(db.session, "weak") is None
    assert actions(app, "user.") == []


def test_change_own_password(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    other = app.test_client()
    assert log_in(other, "ana").status_code == 302

    wrong = post_form(
        client,
        "/account/password",
        {"current": "nope", "new": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert wrong.status_code == 400 and "The current password is wrong." in text_of(wrong)
    weak = post_form(client, "/account/password", {"current": PASSWORD, "new": "ana", "confirm": "ana"})
    assert weak.status_code == 400 and "at least 12 characters" in text_of(weak)
    mismatch = post_form(
        client,
        "/account/password",
        {"current": PASSWORD, "new": "a brand new passphrase", "confirm": "another passphrase"},
    )
    assert mismatch.status_code == 400 and "The two new passwords differ." in text_of(mismatch)

    done = post_form(
        client,
        "/account/password",
        {"current": PASSWORD, "new": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this session stays
    assert other.get("/").status_code == 302  # the other one was logged out
    assert actions(app, "user.password_changed") == ["user.password_changed"]
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 401
    assert log_in(app.test_client(), "ana", "a brand new passphrase").status_code == 302


def test_wrong_current_passwords_count_in_the_login_backoff(app, client):
    """A stolen session cookie cannot make the password form an unthrottled password oracle."""
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    form = {"new": "a brand new passphrase", "confirm": "a brand new passphrase"}
    for _ in range(5):
        assert post_form(client, "/account/password", {"current": "guess", **form}).status_code == 400
    refused = post_form(client, "/account/password", {"current": PASSWORD, **form})
    assert refused.status_code == 429 and "Try again in 15 seconds." in text_of(refused)
    assert log_in(app.test_client(), "ana").status_code == 429  # the same backoff as the login page
    assert actions(app, "user.reauth_failed") == ["user.reauth_failed"] * 5
    assert actions(app, "user.password_changed") == []


def test_passwords_are_hashed_with_the_configured_method(app, tmp_path):
    from workbench.extensions import db
    from workbench.services.accounts.users import find_user
    from workbench.settings import Settings

    assert Settings.from_env({}, str(tmp_path)).password_hash_method == "scrypt"  # production default
    make_user(app, "ana", "moderator")
    with app.app_context():
        stored = find_user(db.session, "ana").password_hash
    assert stored.startswith(workbench_settings.of(app).password_hash_method + "$") and PASSWORD not in stored
