"""Sessions end when they should (issue 12, item 4).

The session and the remember-me cookie hold the account's session token, not its id. A password
change or reset, an e-mail change and "Überall abmelden" give the account a new token: every other
session (plain or remembered) ends. Ids are never reused, so a deleted account's cookie opens nothing.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import link_in, path_of, text

NEW_PASSWORD = "ein-ganz-neues-passwort"
SESSION_COOKIE = "vr_session"
REMEMBER_COOKIE = "remember_token"


def log_in(app, email, password=PASSWORD, remember=False):
    client = app.test_client()
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/konto/anmelden", data=data)
    assert response.status_code == 303, text(response)
    return client


def remembered_only(app, email):
    """A browser that was closed and opened again: only the remember-me cookie is left."""
    client = log_in(app, email, remember=True)
    assert client.get_cookie(REMEMBER_COOKIE) is not None
    client.delete_cookie(SESSION_COOKIE)
    assert client.get_cookie(SESSION_COOKIE) is None
    return client


def logged_in(client) -> bool:
    response = client.get("/konto/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def sessions(app, make_user):
    """An account with two other sessions besides the acting one: plain and remember-me."""

    def make(email="konto@example.org", acting_remember=False):
        user = make_user(email=email)
        acting = log_in(app, email, remember=acting_remember)
        plain = log_in(app, email)
        remembered = remembered_only(app, email)
        assert logged_in(acting) and logged_in(plain) and logged_in(remembered)
        return user, acting, plain, remembered

    return make


def test_get_id_is_the_session_token_not_the_id(app, make_user):
    user = make_user()
    assert user.get_id() == user.session_token and len(user.session_token) >= 40
    assert user.get_id() != str(user.id)
    # a session that holds a plain id (as before) opens nothing
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert not logged_in(client)


def test_tokens_differ_per_account_and_are_not_exported(app, make_user):
    from app.dataprotection.services import user_data

    first, second = make_user(), make_user()
    assert first.session_token != second.session_token
    assert first.session_token not in repr(user_data(first))


def test_password_change_ends_the_other_sessions_and_keeps_this_one(sessions, app):
    user, acting, plain, remembered = sessions(acting_remember=True)
    old_id = user.get_id()
    response = acting.post(
        "/konto/passwort",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert not logged_in(plain)
    assert not logged_in(remembered)
    assert logged_in(acting)
    assert "Auf allen anderen Geräten sind Sie jetzt abgemeldet" in text(response)
    assert fresh(user).get_id() != old_id
    # the acting browser got a new remember-me cookie that still works after a restart
    acting.delete_cookie(SESSION_COOKIE)
    assert logged_in(acting)


def test_wrong_current_password_changes_no_session(sessions):
    user, acting, plain, remembered = sessions()
    old_token = user.session_token
    response = acting.post(
        "/konto/passwort",
        data={"current_password": "falsch-falsch", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert fresh(user).session_token == old_token
    assert logged_in(plain) and logged_in(remembered)


def test_password_reset_ends_every_session(sessions, app, mailbox):
    user, acting, plain, remembered = sessions()
    anonymous = app.test_client()
    anonymous.post("/konto/passwort-vergessen", data={"email": user.email})
    link = path_of(link_in(mailbox, user.email, "/konto/passwort-neu/"))
    response = anonymous.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 303
    assert not logged_in(acting) and not logged_in(plain) and not logged_in(remembered)
    assert logged_in(log_in(app, user.email, NEW_PASSWORD))


def test_reclaiming_an_address_by_reset_ends_the_squatters_session(app, mailbox):
    """Someone registers the victim's address first and stays logged in; the victim resets the password."""
    squatter = app.test_client()
    squatter.post(
        "/konto/registrieren",
        data={
            "name": "Squatter",
            "email": "opfer@example.org",
            "password": "squatter-passwort",
            "password_repeat": "squatter-passwort",
        },
    )
    squatter.post(
        "/konto/anmelden", data={"email": "opfer@example.org", "password": "squatter-passwort", "remember": "y"}
    )
    assert logged_in(squatter)
    victim = app.test_client()
    victim.post("/konto/passwort-vergessen", data={"email": "opfer@example.org"})
    link = path_of(link_in(mailbox, "opfer@example.org", "/konto/passwort-neu/"))
    victim.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert not logged_in(squatter)
    squatter.delete_cookie(SESSION_COOKIE)
    assert not logged_in(squatter)  # nor through the remember-me cookie


def test_email_change_ends_the_other_sessions_and_keeps_this_one(sessions, mailbox):
    user, acting, plain, remembered = sessions()
    acting.post("/konto/email", data={"email": "neu@example.org", "current_password": PASSWORD})
    assert logged_in(plain)  # nothing changes before the click
    link = path_of(link_in(mailbox, "neu@example.org", "/konto/email/"))
    response = acting.get(link, follow_redirects=True)
    assert "Ihre neue E-Mail-Adresse ist bestätigt" in text(response)
    assert fresh(user).email == "neu@example.org"
    assert not logged_in(plain) and not logged_in(remembered)
    assert logged_in(acting)


def test_email_change_clicked_in_another_browser_ends_every_session(sessions, app, mailbox):
    user, acting, plain, remembered = sessions()
    acting.post("/konto/email", data={"email": "neu@example.org", "current_password": PASSWORD})
    link = path_of(link_in(mailbox, "neu@example.org", "/konto/email/"))
    app.test_client().get(link)
    assert not logged_in(acting) and not logged_in(plain) and not logged_in(remembered)


def test_logout_everywhere(sessions):
    user, acting, plain, remembered = sessions(acting_remember=True)
    page = text(acting.get("/konto/"))
    assert "Überall abmelden" in page and 'action="/konto/ueberall-abmelden"' in page
    old_token = user.session_token
    response = acting.post("/konto/ueberall-abmelden", follow_redirects=True)
    assert "Sie sind jetzt auf allen Geräten abgemeldet" in text(response)
    assert fresh(user).session_token != old_token
    assert not logged_in(acting) and not logged_in(plain) and not logged_in(remembered)
    acting.delete_cookie(SESSION_COOKIE)
    assert not logged_in(acting)


def test_logout_everywhere_needs_a_login_and_csrf(app, client, make_user, make_app, app_config):
    assert client.post("/konto/ueberall-abmelden").status_code == 302  # to the login page
    user = make_user(email="csrf@example.org")
    protected = make_app({**app_config, "WTF_CSRF_ENABLED": True})
    browser = protected.test_client()
    login_page = text(browser.get("/konto/anmelden"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    browser.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    old_token = fresh(user).session_token
    assert browser.post("/konto/ueberall-abmelden").status_code == 400  # a forged form from elsewhere
    assert fresh(user).session_token == old_token


def test_deleted_account_cookie_never_opens_a_new_account(app, make_user):
    """SQLite hands out the highest id again after a deletion, unless the table has AUTOINCREMENT."""
    make_user(email="erste@example.org")
    leaving = make_user(email="geht@example.org")
    client = log_in(app, "geht@example.org", remember=True)
    old_cookies = {name: client.get_cookie(name).value for name in (SESSION_COOKIE, REMEMBER_COOKIE)}
    old_id = leaving.id
    response = client.post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 303
    newcomer = make_user(email="neu@example.org", name="Nora Neu")
    for name, value in old_cookies.items():
        client.set_cookie(name, value)
    assert "Nora Neu" not in text(client.get("/konto/", follow_redirects=True))
    assert not logged_in(client)
    client.delete_cookie(SESSION_COOKIE)  # the remember-me cookie alone
    assert not logged_in(client)
    assert newcomer.id > old_id  # ids are never handed out twice


def test_user_ids_are_never_reused(app, make_user):
    from app.auth.services import delete_account

    make_user()
    last = make_user()
    last_id = last.id
    delete_account(last)
    assert db.session.get(User, last_id) is None
    assert make_user().id > last_id
    highest = db.session.scalar(sa.select(sa.func.max(User.id)))
    assert highest > last_id


def test_the_test_login_helper_uses_the_token(app, make_user, client_for):
    user = make_user()
    client = client_for(user)
    with client.session_transaction() as session:
        assert session["_user_id"] == user.session_token
    assert logged_in(client)
    user.end_sessions()
    db.session.commit()
    assert not logged_in(client)


def test_account_deletion_ends_the_other_sessions(sessions):
    user, acting, plain, remembered = sessions()
    email = user.email
    assert acting.post("/konto/loeschen", data={"current_password": PASSWORD}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == email)) is None
    assert not logged_in(acting) and not logged_in(plain) and not logged_in(remembered)


def test_migration_gives_existing_accounts_tokens_and_never_reuses_ids(tmp_path, make_app):
    """The migration on a database with accounts in it (SQLite: the user table is rebuilt)."""
    from flask_migrate import upgrade

    application = make_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "BASE_URL": "http://localhost",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'alt.db'}",
        },
        instance_path=str(tmp_path / "instance"),
    )
    insert = sa.text(
        'INSERT INTO "user" (email, name, password_hash, is_staff, created_at) '
        "VALUES (:email, 'Alt', 'x', false, '2026-01-01 00:00:00')"
    )
    with application.app_context():
        upgrade(revision="0700")
        with db.engine.begin() as conn:
            for n in range(3):
                conn.execute(insert, {"email": f"alt{n}@example.org"})
        upgrade(revision="heads")
        with db.engine.begin() as conn:
            tokens = conn.execute(sa.text('SELECT session_token FROM "user" ORDER BY id')).scalars().all()
            assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) >= 40 for t in tokens)
            conn.execute(sa.text('DELETE FROM "user" WHERE id = 3'))
        newcomer = User(email="neu@example.org", name="Neu", password_hash="x")
        db.session.add(newcomer)
        db.session.commit()
        assert newcomer.id == 4
        db.session.remove()
