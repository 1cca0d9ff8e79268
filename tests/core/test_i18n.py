"""German by default, English selectable; strings go through Flask-Babel."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from app.auth.models import User
from app.extensions import db
from tests.helpers import text


@pytest.fixture
def app_config(app_config, tmp_path):
    """A tiny English catalog, so the test does not depend on the state of app/translations."""
    catalog = Catalog(locale="en", domain="messages")
    catalog.add("Anmelden", "Log in")
    catalog.add("Meine Vereine", "My clubs")
    catalog.add("Bitte geben Sie Ihre E-Mail-Adresse an.", "Please enter your email address.")
    folder = tmp_path / "translations" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as fh:
        write_mo(fh, catalog)
    app_config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path / "translations")
    return app_config


@pytest.mark.parametrize("accept", [None, "fr-FR,fr;q=0.9", "de-DE,de;q=0.9,en;q=0.8", "en;q=0, fr"])
def test_german_is_the_default(client, accept):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/konto/anmelden", headers=headers)
    html = text(response)
    assert '<html lang="de">' in html
    assert "<h1>Anmelden</h1>" in html
    assert '<option value="de" lang="de" selected>' in html
    assert "Accept-Language" in response.headers.get("Vary", "")


@pytest.mark.parametrize("accept", ["en-GB", "en-US,en;q=0.9", "fr-FR, en-GB;q=0.8, de;q=0.5", "EN-us"])
def test_language_follows_the_browser_until_the_person_chooses(client, accept):
    """Issue 16: en-GB, en-US → English without a click; the switch then wins over the browser."""
    headers = {"Accept-Language": accept}
    response = client.get("/konto/anmelden", headers=headers)
    html = text(response)
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html
    assert '<option value="en" lang="en" selected>' in html
    assert "Accept-Language" in response.headers.get("Vary", "")
    client.post("/sprache", data={"lang": "de", "next": "/konto/anmelden"}, headers=headers)
    assert "<h1>Anmelden</h1>" in text(client.get("/konto/anmelden", headers=headers))


def test_switch_to_english_and_back(client):
    response = client.post("/sprache", data={"lang": "en", "next": "/konto/anmelden"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/anmelden")
    html = text(client.get("/konto/anmelden"))
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html
    assert '<option value="en" lang="en" selected>' in html
    # form messages are translated too
    assert "Please enter your email address." in text(client.post("/konto/anmelden", data={"email": ""}))
    client.post("/sprache", data={"lang": "de", "next": "/konto/anmelden"})
    assert "<h1>Anmelden</h1>" in text(client.get("/konto/anmelden"))


def test_choice_is_saved_for_logged_in_users(client_for, make_user):
    user = make_user(email="en@example.org")
    client_for(user).post("/sprache", data={"lang": "en", "next": "/vereine"})
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.locale).where(User.email == "en@example.org")) == "en"
    # a new session of the same person starts in English
    assert "My clubs" in text(client_for(user).get("/vereine"))


def test_unknown_language_and_foreign_next_are_ignored(client):
    response = client.post("/sprache", data={"lang": "fr", "next": "https://evil.example/"})
    assert response.status_code == 303 and "evil" not in response.headers["Location"]
    assert '<html lang="de">' in text(client.get("/"))


def test_language_switch_returns_to_the_referring_page(client):
    response = client.post("/sprache", data={"lang": "en"}, headers={"Referer": "http://localhost/konto/anmelden"})
    assert response.headers["Location"].endswith("/konto/anmelden")


def test_status_mails_are_german_even_when_staff_uses_english(app, client_for, make_user, make_club, mailbox):
    from tests.helpers import admin_action_url

    board = make_user(email="de@verein.example")
    club = make_club(status="pending", board=board)
    staff = client_for(make_user(staff=True))
    staff.post("/sprache", data={"lang": "en", "next": "/"})
    staff.post(admin_action_url(app, club.id, "freischalten"))
    assert "freigeschaltet" in mailbox.to("de@verein.example")[0]["Subject"]


def test_english_catalog_exists_and_parses():
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "app" / "translations"
    with open(root / "en" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    assert str(catalog.locale) == "en" and len(catalog) > 50


@pytest.mark.parametrize("lang", ["de", "en"])
def test_short_date_and_time_as_flask_babel_formats_them(app, lang):
    """The template filter ``format_datetime`` parses the locale's patterns once; its text is Flask-Babel's own,
    across both changes of daylight saving time, midnight in UTC and Berlin, and a naive (UTC) value."""
    from datetime import datetime, timedelta, timezone

    from flask_babel import force_locale, format_datetime

    from app.core.i18n import format_datetime_short

    moments = [datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc) + timedelta(minutes=47 * i) for i in range(8)]
    moments += [datetime(2026, 10, 25, 0, 10, tzinfo=timezone.utc) + timedelta(minutes=29 * i) for i in range(6)]
    moments += [datetime(2026, 12, 31, 23, 5, tzinfo=timezone.utc), datetime(2027, 1, 1, 11, 59)]
    with app.test_request_context("/"), force_locale(lang):
        for moment in moments:
            assert format_datetime_short(moment) == format_datetime(moment, "short"), moment
        assert format_datetime_short(None) == ""
        assert format_datetime_short(moments[0].date()) == format_datetime(moments[0].date(), "short")
        rendered = app.jinja_env.from_string("{{ when|format_datetime }}").render(when=moments[0])
        assert rendered == format_datetime(moments[0], "short")


def test_python_texts_look_up_the_catalog_once_per_request_and_locale(app, monkeypatch):
    """``_()`` and lazy texts in Python ask Flask-Babel for the request's catalog once, not for every text; a
    forced locale (a mail in the recipient's language) and the way back still get their own catalog."""
    from flask_babel import Domain, force_locale, gettext, lazy_gettext

    lookups = []
    original = Domain.get_translations

    def counting(self):
        lookups.append(self)
        return original(self)

    monkeypatch.setattr(Domain, "get_translations", counting)
    login = lazy_gettext("Anmelden")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert [gettext("Anmelden") for _ in range(5)] == ["Log in"] * 5 and str(login) == "Log in"
        assert len(lookups) == 1
        with force_locale("de"):
            assert gettext("Anmelden") == "Anmelden" and str(login) == "Anmelden"
        assert gettext("Meine Vereine") == "My clubs"
        assert len(lookups) == 3
