"""Brute-force protection on the login page (django-axes).

django-axes is on in every test (it only watches ``authenticate()``; ``force_login`` and
the browser tests' single correct logins are unaffected).
"""

from __future__ import annotations

from django.utils import translation

from tests.factories import PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"
LOCKOUT_MESSAGE = "Account temporarily locked"


def _login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN_URL, {"username": username, "password": password})


def _lockout_text() -> str:
    with translation.override("zh-hans"):
        return translation.gettext(LOCKOUT_MESSAGE)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(client, db, settings):
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
    UserFactory(username="zhang")
    for _attempt in range(4):
        response = _login(client, "zhang", "wrong-password")
        assert response.status_code == 200  # the login form again, with its error
    response = _login(client, "zhang", "wrong-password")
    assert response.status_code == 429
    response = _login(client, "zhang", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert 'id="lockout"' in page and _lockout_text() in page
    assert "30" in page  # the cool-off time in minutes
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_then_the_right_one_logs_in_and_resets_the_count(client, db):
    UserFactory(username="wang")
    for _attempt in range(4):
        _login(client, "wang", "wrong-password")
    response = _login(client, "wang", PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username="wang").exists()


def test_the_lockout_is_per_username_a_colleague_can_still_log_in(client, db):
    UserFactory(username="li")
    UserFactory(username="zhao")
    for _attempt in range(5):
        _login(client, "li", "wrong-password")
    response = _login(client, "zhao", PASSWORD)
    assert response.status_code == 302


def test_force_login_is_not_affected(client, db):
    user = UserFactory(username="chen")
    for _attempt in range(5):
        _login(client, "chen", "wrong-password")
    client.force_login(user)
    assert client.get("/").status_code == 200


def test_password_validators_and_session_expiry_are_set(settings):
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator"} <= names
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
