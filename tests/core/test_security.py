"""Security headers, no inline scripts or foreign hosts in any page, error pages."""

from __future__ import annotations

import re

import pytest
from flask import abort

from app.core.errors import fail
from app.core.tenancy import club_scoped_rules
from tests.conftest import HX
from tests.helpers import text

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style", re.I)
URL_ATTR = re.compile(r"\s(?:src|href|action|hx-get|hx-post|srcset|poster|data)\s*=\s*[\"']([^\"']*)", re.I)


def assert_clean_page(html: str, label: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"inline <script> in {label}"
    assert not EVENT_HANDLER.search(html), f"on*= handler in {label}: {EVENT_HANDLER.search(html).group(0)[:200]}"
    assert not STYLE_ATTR.search(html), f"style= attribute in {label}"
    assert not STYLE_TAG.search(html), f"<style> in {label}"
    for url in URL_ATTR.findall(html):
        assert not re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", url, re.I) or url.startswith("mailto:"), (
            f"foreign URL {url!r} in {label}"
        )
        assert not url.lower().startswith(("javascript:", "data:text")), f"{url!r} in {label}"


def test_content_security_policy_is_strict(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only over https


def test_security_headers_on_errors_and_partials(roles, client_for):
    client = client_for(roles.member)
    for response in (client.get("/gibt-es-nicht"), client.get(f"/c/{roles.club.slug}/datenschutz/", headers=HX)):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_htmx_is_served_locally_and_csrf_travels_with_htmx(client):
    html = text(client.get("/konto/anmelden"))
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any("/static/vendor/htmx/" in s for s in scripts)
    for src in scripts:
        response = client.get(src)
        assert response.status_code == 200
        response.close()
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)


def _get_routes(app):
    """GET routes without URL parameters (the pages anyone can open directly)."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not (rule.arguments - {"slug"}) and rule.endpoint != "static":
            yield rule


@pytest.fixture
def every_page(app, roles, client_for, make_club, mailbox):
    """(label, html) of every page without URL parameters, as board, member, staff and anonymous."""
    from app.auth.services import make_token
    from app.clubs.models import Role
    from app.clubs.services import create_invite_link

    pending = make_club(name="Wartend", status="pending", board=roles.board)
    invitation = create_invite_link(roles.club, Role.MEMBER, days=3, multi_use=True, by=roles.board)
    with app.test_request_context():
        reset = f"/konto/passwort-neu/{make_token('reset', roles.member)}"
    clients = {
        "anonymous": client_for(None),
        "member": client_for(roles.member),
        "board": client_for(roles.board),
        "staff": client_for(roles.staff),
    }
    urls = {
        f"/einladung/{invitation.token}",
        reset,
        f"/c/{pending.slug}/",
        f"/admin/vereine/{pending.id}",
        "/gibt-es-nicht",
        f"/c/{roles.club.slug}/mitglieder/austreten",
    }
    for rule in _get_routes(app):
        urls.add(rule.rule.replace("<slug>", roles.club.slug))
    pages = []
    for url in sorted(urls):
        for who, client in clients.items():
            for headers in ({}, HX):
                response = client.get(url, headers=headers)
                if response.mimetype == "text/html":
                    pages.append(
                        (f"GET {url} as {who}{' (htmx)' if headers else ''} -> {response.status_code}", text(response))
                    )
    return pages


def test_no_inline_script_style_or_foreign_host_in_any_page(every_page):
    assert len(every_page) > 40
    for label, html in every_page:
        assert_clean_page(html, label)


def test_no_page_answers_500(every_page):
    for label, _html in every_page:
        assert "-> 500" not in label, label


def test_every_club_page_has_an_access_rule(app):
    assert all(access is not None for _rule, access in club_scoped_rules(app))


# --- error pages --------------------------------------------------------------------------------


@pytest.fixture
def error_routes(app):
    def boom():
        raise RuntimeError("kaputt")

    def forbidden():
        abort(403)

    def unprocessable():
        fail(422, "Diese Angabe passt nicht.")

    app.add_url_rule("/_test/boom", "test_boom", boom)
    app.add_url_rule("/_test/verboten", "test_forbidden", forbidden)
    app.add_url_rule("/_test/unverarbeitbar", "test_unprocessable", unprocessable)
    return app


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("/_test/verboten", 403, "Dafür fehlt Ihnen die Berechtigung."),
        ("/gibt-es-nicht", 404, "Diese Seite gibt es nicht (mehr)."),
        ("/_test/unverarbeitbar", 422, "Diese Angabe passt nicht."),
        ("/_test/boom", 500, "Ein unerwarteter Fehler ist aufgetreten."),
        ("/konto/abmelden", 405, "Diese Aktion ist hier nicht möglich."),
    ],
)
def test_error_pages_in_the_layout_and_in_place_for_htmx(error_routes, client, url, code, message, caplog):
    page = client.get(url)
    assert page.status_code == code
    assert "<html" in text(page) and "Zum Inhalt springen" in text(page) and message in text(page)
    assert_clean_page(text(page), url)
    partial = client.get(url, headers=HX)
    assert partial.status_code == code
    assert "<html" not in text(partial) and message in text(partial)
    assert f'data-status="{code}"' in text(partial) and 'role="alert"' in text(partial)
    if code == 500:
        assert "kaputt" not in text(page)  # no internals shown


def test_500_rolls_back_the_session(error_routes, app, client, make_user):
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db

    def half_write():
        db.session.add(User(email="halb@example.org", name="Halb", password_hash="x"))
        db.session.flush()
        raise RuntimeError("mittendrin")

    app.add_url_rule("/_test/halb", "test_half", half_write)
    assert client.get("/_test/halb").status_code == 500
    assert db.session.scalar(sa.select(User).where(User.email == "halb@example.org")) is None


def test_session_serializer_is_built_once_and_follows_a_new_key(app, roles, client_for):
    """The session's signing serializer is kept between requests, but a changed SECRET_KEY takes effect at once:
    the old cookie no longer logs in; with the old key among SECRET_KEY_FALLBACKS it still does."""
    client = client_for(roles.member)
    page = f"/c/{roles.club.slug}/"
    assert client.get(page).status_code == 200
    first = app.session_interface.get_signing_serializer(app)
    assert client.get(page).status_code == 200
    assert app.session_interface.get_signing_serializer(app) is first

    old_key = app.secret_key
    app.secret_key = old_key + "-rotated"
    assert client.get(page).status_code in (302, 303)  # to the login: the cookie's signature no longer fits
    assert app.session_interface.get_signing_serializer(app) is not first

    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get(page).status_code == 200  # the same cookie, signed with the old key
