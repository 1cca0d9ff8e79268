"""Request and response hygiene for every route (issue 12, item 10 "Smaller"):
NUL bytes never reach the database, a request-size limit, Cache-Control on downloads and private pages.
"""

from __future__ import annotations

import re
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import HX, PASSWORD
from tests.privacy.conftest import content, set_profile  # noqa: F401 - fixtures

NUL_MESSAGE = "Die Anfrage enthält ein Steuerzeichen (Nullzeichen)"


# --- NUL bytes: a German 400, nothing written (PostgreSQL refuses NUL in text) ---------------------------


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_nul_in_a_form_is_refused(roles, client_for, headers):
    from app.clubs.models import Club

    before = _count(Club)
    data = {"name": "Imker\x00verein", "legal_form": "ev", "district": "Pankow", "contact_email": "a@verein.example"}
    response = client_for(roles.member).post("/vereine/neu", data=data, headers=headers)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)
    assert ("<html" in response.get_data(as_text=True)) == (not headers)
    assert _count(Club) == before


def test_nul_in_a_text_area_of_a_plain_form_is_refused(roles, client_for, content):  # noqa: F811
    """The checklist answer form is read field by field (no WTForms): the guard covers it too."""
    from app.privacy.models import Answer

    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/datenschutz/punkt/sec-backup",
        data={
            "status": "partial",
            "version": "0",
            "note": "Notiz\x00mit Nullzeichen",
            "responsible_id": "",
            "due_date": "",
        },
        headers=HX,
    )
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
    assert _count(Answer) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/suche?q=Verein%00",
        "/admin/vereine?q=%00",
        "/admin/protokoll?person=a%00b",
        "/c/imker%00verein/",
        "/leitfaden/vorlagen/ab%00c.txt",
        "/einladung/ab%00cd",
    ],
)
def test_nul_in_query_strings_and_paths_is_refused(roles, client_for, url):
    response = client_for(roles.staff).get(url)
    assert response.status_code == 400, url
    assert NUL_MESSAGE in response.get_data(as_text=True)


def test_ordinary_requests_pass_the_guard(roles, client_for):
    assert client_for(roles.staff).get("/admin/vereine?q=Imker").status_code == 200
    assert client_for(None).get("/suche?q=Verein").status_code == 200


# --- request size ---------------------------------------------------------------------------------------


def test_request_size_is_a_setting(app_config, monkeypatch, make_app_for_config):
    from app.config import Config

    assert Config.MAX_CONTENT_LENGTH == 2 * 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "1048576")
    config = dict(app_config)
    config.pop("MAX_CONTENT_LENGTH", None)
    assert make_app_for_config(config).config["MAX_CONTENT_LENGTH"] == 1048576


@pytest.fixture
def make_app_for_config():
    from app import create_app

    apps = []

    def build(config):
        apps.append(create_app(config))
        return apps[-1]

    yield build
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_too_large_post_gets_a_german_413(client, headers):
    body = "email=a%40example.org&password=" + "x" * (3 * 1024 * 1024)
    response = client.post(
        "/konto/anmelden", data=body, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Die gesendeten Daten sind zu groß (höchstens 2 MB)" in html
    assert ("<html" in html) == (not headers)


def test_30_mb_login_post_is_refused_without_being_read(app, live_server):
    """Raw HTTP: announce 30 MB, send 64 KB, and the answer is already there."""
    size = 30 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /konto/anmelden HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        sock.sendall(b"email=a%40example.org&password=" + b"x" * 65536)
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 5


# --- Cache-Control ------------------------------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

#: Endpoints that must turn up as downloads in the walk below (a floor, so the walk cannot find nothing).
KNOWN_DOWNLOADS = {
    "privacy.answers_csv",
    "privacy.report_pdf",
    "meetings.scheduled_ics",
    "meetings.feed",
    "admin.statistics_csv",
    "workshops_admin.export",
    "dataprotection.download_export",
    "handbook.download",
}


@pytest.fixture
def world(app, app_config, roles, bbb_standin, content, set_profile, client_for, tmp_path):  # noqa: F811
    """A club with answers, a scheduled meeting, a calendar feed, a workshop and a ready personal export."""
    from app.dataprotection.exports import export_token, request_export
    from app.dataprotection.models import DataExport
    from app.guide.services import sync_shipped_content
    from app.meetings import calendar as cal
    from app.meetings.models import ScheduledMeeting
    from app.meetings.services import rooms_for
    from app.workshops.models import Workshop

    app.config["DATA_EXPORT_DIR"] = str(tmp_path / "exports")
    set_profile(roles.club)
    board = client_for(roles.board)
    board.post(
        f"/c/{roles.club.slug}/datenschutz/punkt/sec-backup",
        data={"status": "partial", "version": "0", "note": "", "responsible_id": "", "due_date": ""},
    )
    room = rooms_for(roles.club)[0]
    starts = (datetime.now(timezone.utc) + timedelta(days=7)).strftime("%Y-%m-%dT19:30")
    board.post(
        f"/c/{roles.club.slug}/konferenzen/termine/neu",
        data={"room_id": room.id, "title": "Versammlung", "starts_at": starts, "duration_minutes": "90"},
    )
    meeting = db.session.scalar(sa.select(ScheduledMeeting))
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    workshop = Workshop(
        title="Sicher im Netz",
        description="",
        topic="online-sicherheit",
        starts_at=start,
        duration_minutes=90,
        online=True,
        capacity=5,
        registration_deadline=start - timedelta(hours=1),
    )
    db.session.add(workshop)
    db.session.commit()
    sync_shipped_content()
    template = db.session.scalar(sa.text("SELECT slug FROM content_page WHERE kind = 'template' LIMIT 1"))
    request_export(roles.board)
    export = db.session.scalar(sa.select(DataExport))
    assert export.status == "ready"
    values = {
        "slug": roles.club.slug,
        "club_id": roles.club.id,
        "room_id": room.id,
        "meeting_id": meeting.id,
        "workshop_id": workshop.id,
        "key": "sec-backup",
        "fmt": "txt",
        "action": "freischalten",
    }
    per_endpoint = {
        "meetings.feed": {"token": cal.feed_for(roles.club).token},
        "dataprotection.download_export": {"token": export_token(export)},
        "handbook.download": {"slug": template},
    }
    return values, per_endpoint


def _url(rule, values, per_endpoint):
    args = {**values, **per_endpoint.get(rule.endpoint, {})}
    if not rule.arguments <= set(args):
        return None
    return ARGUMENT.sub(lambda m: str(args[m.group(1)]), rule.rule)


def test_downloads_are_no_store_and_private_pages_are_private(app, roles, client_for, world):
    values, per_endpoint = world
    downloads, private_pages = set(), 0
    for who in ("board", "staff"):
        client = client_for(getattr(roles, who))
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            url = _url(rule, values, per_endpoint)
            if url is None:
                continue
            response = client.get(url)
            control = response.headers.get("Cache-Control", "")
            if "Content-Disposition" in response.headers or response.mimetype in (
                "text/csv",
                "application/pdf",
                "application/zip",
                "text/calendar",
            ):
                assert control == "no-store", f"{url} as {who}: {control!r}"
                downloads.add(rule.endpoint)
            elif response.mimetype == "text/html":
                assert "private" in control and "public" not in control, f"{url} as {who}: {control!r}"
                assert "Cookie" in response.headers.get("Vary", ""), url
                private_pages += 1
            response.close()
    assert KNOWN_DOWNLOADS <= downloads, KNOWN_DOWNLOADS - downloads
    assert private_pages > 40

    export = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    assert export.mimetype == "application/zip" and export.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_keep_their_caching(roles, client_for):
    anonymous = client_for(None).get("/")
    assert "private" not in anonymous.headers.get("Cache-Control", "")
    for client in (client_for(None), client_for(roles.member)):
        static = client.get("/static/favicon.svg")
        assert static.status_code == 200
        assert "private" not in static.headers.get("Cache-Control", "")
        assert "no-store" not in static.headers.get("Cache-Control", "")
        static.close()
    public_page = client_for(None).get("/workshops")
    assert "private" not in public_page.headers.get("Cache-Control", "")


def test_logged_in_htmx_partials_are_private(roles, client_for):
    response = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/", headers=HX)
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]


def test_pages_after_a_password_login_are_private(app, roles, client):
    client.post("/konto/anmelden", data={"email": roles.member.email, "password": PASSWORD})
    page = client.get("/konto/")
    assert "private" in page.headers["Cache-Control"]


def test_headers_a_view_sets_itself_are_kept_and_completed(app, roles, client_for):
    """The after-request rules write their headers directly in the usual case; what a view set stays: its own
    ``Vary`` gains the language and the cookie, its ``no-store`` and its own framing rule are not overwritten."""
    from flask import make_response

    @app.get("/test-own-headers")
    def own_headers():
        response = make_response("ok")
        response.headers["Vary"] = "HX-Request"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    response = client_for(roles.member).get("/test-own-headers")
    assert response.headers.get_all("Vary") == ["HX-Request, Accept-Language, Cookie"]
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    assert response.headers.get_all("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    plain = client_for(roles.member).get("/konto/")
    assert plain.headers.get_all("Vary") == ["Accept-Language, Cookie"]
    assert plain.headers.get_all("Cache-Control") == ["private, no-cache"]
    assert plain.headers.get_all("X-Frame-Options") == ["DENY"]
