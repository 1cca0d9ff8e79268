"""The services catalogue: staff add services without code; live status from the job, never the page."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.extensions import cache, db
from app.offers import services as svc
from app.offers.models import Offer
from tests.helpers import count, row_counts, text

NEW = {
    "new-slug": "umfragen",
    "new-name_de": "Umfragen (LimeSurvey)",
    "new-name_en": "Surveys (LimeSurvey)",
    "new-purpose_de": "Mitgliederbefragungen ohne Datenweitergabe.",
    "new-purpose_en": "Member surveys without passing data on.",
    "new-audience_de": "Vorstände freigeschalteter Vereine.",
    "new-access_de": "Formlos beim Plattform-Team anfragen.",
    "new-guide_url": "/wissen/digitale-werkzeuge",
    "new-status_kind": "none",
    "new-position": "30",
    "new-active": "y",
}


@pytest.fixture
def defaults(app):
    svc.ensure_default_offers()
    cache.clear()
    return {o.slug: o for o in db.session.query(Offer)}


def _catalogue(body: str) -> str:
    return body[body.index('id="offer-catalogue-title"') :]


def test_bbb_and_mattermost_come_first_with_unknown_status_until_checked(defaults, client_for, bbb_standin):
    calls = len(bbb_standin.calls)
    page = client_for(None).get("/angebote")
    assert page.status_code == 200
    body = _catalogue(text(page))
    assert body.index("Videokonferenzen (BigBlueButton)") < body.index("Team-Chat (Mattermost)")
    assert body.count("Status unbekannt") == 2
    assert len(bbb_standin.calls) == calls  # the page itself never asks a server


def test_the_job_checks_bbb_and_mattermost_and_the_page_shows_it(defaults, client_for, bbb_standin, mm):
    assert svc.refresh_all() == 2
    body = _catalogue(text(client_for(None).get("/angebote")))
    assert body.count("läuft") == 2 and "Status unbekannt" not in body
    bbb_standin.state.down = True
    mm.standin.down = True
    cache.clear()  # BBB's own status cache (BBB_STATUS_TTL) and ours
    svc.refresh_all()
    body = _catalogue(text(client_for(None).get("/angebote")))
    assert body.count("gestört") == 2


def test_services_without_a_server_are_not_reported_as_running(app, defaults, client_for):
    app.config.update(BBB_API_URL=None, MATTERMOST_URL=None)
    svc.refresh_all()
    body = _catalogue(text(client_for(None).get("/angebote")))
    assert body.count("nicht eingerichtet") == 2 and "läuft" not in body


def test_staff_add_a_service_without_code_and_it_shows_in_both_languages(roles, client_for, defaults):
    staff = client_for(roles.staff)
    assert staff.get("/admin/angebote/").status_code == 200
    response = staff.post("/admin/angebote/", data=NEW)
    assert response.status_code == 303
    german = _catalogue(text(client_for(None).get("/angebote")))
    assert "Umfragen (LimeSurvey)" in german and "Formlos beim Plattform-Team anfragen." in german
    assert 'href="/wissen/digitale-werkzeuge"' in german
    english = client_for(None)
    english.post("/sprache", data={"lang": "en", "next": "/angebote"})
    body = _catalogue(text(english.get("/angebote")))
    assert "Surveys (LimeSurvey)" in body and "Member surveys without passing data on." in body
    assert "Formlos beim Plattform-Team anfragen." in body  # no English text given: the German one


def test_hidden_services_are_not_listed(roles, client_for, defaults):
    offer = defaults["team-chat"]
    form = {f"o{offer.id}-{k[4:]}": v for k, v in NEW.items()} | {f"o{offer.id}-slug": "team-chat"}
    form.pop(f"o{offer.id}-active")
    assert client_for(roles.staff).post(f"/admin/angebote/{offer.id}", data=form).status_code == 303
    body = _catalogue(text(client_for(None).get("/angebote")))
    assert "Umfragen (LimeSurvey)" not in body and "Videokonferenzen" in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"new-status_kind": "url", "new-status_url": ""}, "Bitte geben Sie die Adresse für die Statusprüfung an."),
        ({"new-status_kind": "url", "new-status_url": "https://127.0.0.1/status"}, "nicht öffentlich erreichbar"),
        ({"new-status_kind": "url", "new-status_url": "http://status.example.org/"}, "https://"),
        ({"new-status_kind": "telnet"}, "Bitte wählen Sie eine Art der Statusprüfung aus der Liste."),
        ({"new-guide_url": "javascript:alert(1)"}, "Der Link muss mit / (eine Seite des Vereinsraums)"),
        ({"new-guide_url": "//evil.example/"}, "Der Link muss mit / (eine Seite des Vereinsraums)"),
        ({"new-slug": "videokonferenzen"}, "Dieses Kürzel hat schon ein anderes Angebot."),
        ({"new-name_de": ""}, "Bitte geben Sie einen Namen an."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(roles, client_for, defaults, changes, message):
    before = row_counts()
    response = client_for(roles.staff).post("/admin/angebote/", data={**NEW, **changes})
    assert response.status_code == 422
    assert message in text(response)
    assert row_counts() == before


def test_only_staff_manage_services(roles, client_for, defaults):
    assert client_for(roles.board).get("/admin/angebote/").status_code == 403
    assert client_for(roles.board).post("/admin/angebote/", data=NEW).status_code == 403
    assert count(Offer) == 2


class _Status(BaseHTTPRequestHandler):
    code = 200

    def do_GET(self):  # noqa: N802 - http.server API
        self.send_response(type(self).code)
        self.end_headers()
        self.wfile.write(b"ok" * 100000)

    def log_message(self, *args):
        pass


def test_a_status_url_is_checked_through_the_outbound_guard(app, defaults):
    server = HTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/status"
        offer = Offer(slug="x", name_de="X", status_kind="url", status_url=url)
        db.session.add(offer)
        db.session.commit()
        # loopback and plain http are refused by the guard: the service counts as down, nothing is fetched
        assert svc.refresh_status(offer).state == "down"
        # the operator allows the network (and http, as for an on-premise chat server): now it is reached
        app.config.update(OUTBOUND_ALLOWED_NETWORKS="127.0.0.0/8", CHAT_ALLOW_HTTP=True)
        assert svc.refresh_status(offer).state == "ok"
        _Status.code = 503
        assert svc.refresh_status(offer).state == "down"
    finally:
        _Status.code = 200
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.mark.browser
def test_services_pages_are_accessible(roles, defaults, live_server, page):
    from tests.browser import assert_accessible, login_in_browser
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/angebote")
    assert page.locator("#offer-catalogue-title").count() == 1
    assert_accessible(page)
    login_in_browser(page, live_server.url, roles.staff.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/angebote/")
    assert_accessible(page)
    page.locator("#new-slug").fill("umfragen")
    page.locator("#new-name_de").fill("Umfragen")
    page.locator("#new-purpose_de").fill("Befragungen")
    page.locator("#new-audience_de").fill("Vorstände")
    page.locator("#new-access_de").fill("Beim Team anfragen")
    page.get_by_role("button", name="Angebot anlegen").click()
    page.wait_for_selector("text=Das Angebot ist gespeichert.")
    assert_accessible(page)
