import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.pages.models import Page
from app.pages.services import PAGES, get_page, sync_defaults

PUBLIC = {
    "/": "Digitale Werkzeuge für Ihren Verein",
    "/leichte-sprache": "Leichter Sprache",
    "/angebote": "Videokonferenzen (BigBlueButton)",
    "/barrierefreiheit": "Erklärung zur Barrierefreiheit",
    "/datenschutz": "Datenschutzerklärung",
    "/workshops": "Workshops",
    "/sprechstunde": "Digitale Sprechstunde",
}


@pytest.mark.parametrize("url", list(PUBLIC))
def test_public_pages_need_no_login(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert PUBLIC[url] in html
    for link in ("/barrierefreiheit", "/datenschutz", "/leichte-sprache", "/angebote"):
        assert f'href="{link}"' in html  # footer


def test_services_page_explains_each_tool(client):
    html = client.get("/angebote").get_data(as_text=True)
    for heading in ("Videokonferenzen (BigBlueButton)", "Team-Chat (Mattermost)"):
        assert f"<h2>{heading}</h2>" in html
    for question in ("Wofür?", "Welche Geräte?", "Wo gehostet?", "Wie werden Daten geschützt?"):
        assert html.count(question) == 2


def test_start_page_shows_workshops_consultation_and_easy_language(client, make_workshop, make_schedule):
    make_workshop(title="Datenschutz für Einsteiger", starts_in=timedelta(days=3))
    make_workshop(title="Schon vorbei", starts_in=timedelta(days=-3))
    make_schedule(rrule="FREQ=WEEKLY;BYDAY=TU")
    html = client.get("/").get_data(as_text=True)
    assert "Datenschutz für Einsteiger" in html and "Schon vorbei" not in html
    assert "Nächster Termin:" in html
    assert 'href="/leichte-sprache"' in html and 'href="/sprechstunde"' in html


def test_logged_in_start_goes_to_my_clubs(roles, client_for):
    response = client_for(roles.member).get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/vereine")


def _article(html: str) -> str:
    return html[html.index('<article class="page-text">') : html.index("</article>")]


def test_privacy_page_has_slot_for_generated_section(app, client, roles, client_for):
    """Below the staff-editable text, /datenschutz carries the section generated from the running configuration
    (app/dataprotection: controller, processors, cookies, periods), once, and a staff edit cannot remove it."""
    app.config.update(
        PRIVACY_CONTROLLER="Digitalverein Pankow e. V., Musterstraße 1, 13187 Berlin",
        BBB_API_URL="https://bbb.slot-test.example/bigbluebutton/api/",
        BBB_SECRET="s",
        AUDIT_RETENTION_DAYS=123,
    )
    html = client.get("/datenschutz").get_data(as_text=True)
    assert "Ihre Rechte" in html  # the staff-editable text; the generated part is included below it
    article = _article(html)
    assert article.count('<section class="dp-generated"') == 1
    staff_text, section = article.split('<section class="dp-generated"')
    assert str(get_page("datenschutz").html) in staff_text
    for heading in (
        "Verantwortlich",
        "Eingesetzte Dienste",
        "Cookies",
        "Was wir speichern, wozu und wie lange",
        "Löschfristen",
        "Ihre Rechte",
    ):
        assert f">{heading}</h2>" in section, heading
    assert "Digitalverein Pankow e. V., Musterstraße 1, 13187 Berlin" in section
    hosts = re.findall(r'<span class="dp-host">([^<]+)</span>', section)
    assert hosts == ["localhost", "127.0.0.1", "bbb.slot-test.example"]  # BASE_URL, MAIL_SERVER, BBB_API_URL
    assert f"<code>{app.config['SESSION_COOKIE_NAME']}</code>" in section
    assert "123 Tage" in section

    # staff replace the text: theirs is shown, the generated section stays below it
    response = client_for(roles.staff).post(
        "/admin/seiten/datenschutz", data={"title": "Datenschutzerklärung", "body": "Nur **unser** Satz."}
    )
    assert response.status_code == 303
    article = _article(client.get("/datenschutz").get_data(as_text=True))
    staff_text, section = article.split('<section class="dp-generated"')
    assert "<p>Nur <strong>unser</strong> Satz.</p>" in staff_text and "Ihre Rechte" not in staff_text
    assert "bbb.slot-test.example" in section and ">Löschfristen</h2>" in section


def test_staff_edits_a_page_and_the_public_sees_it(roles, client_for, client):
    staff = client_for(roles.staff)
    form = staff.get("/admin/seiten/barrierefreiheit")
    assert form.status_code == 200 and "Erklärung zur Barrierefreiheit" in form.get_data(as_text=True)
    response = staff.post(
        "/admin/seiten/barrierefreiheit",
        data={
            "title": "Barrierefreiheit",
            "body": "## Stand\n\nAlles **geprüft**.\n\n<script>alert(1)</script>\n\n"
            "[klick](javascript:alert(2)) [BIK](https://bik.example)",
        },
    )
    assert response.status_code == 303
    html = client.get("/barrierefreiheit").get_data(as_text=True)
    assert "<h1>Barrierefreiheit</h1>" in html and "<h2>Stand</h2>" in html and "<strong>geprüft</strong>" in html
    assert "<script>alert(1)" not in html and 'href="javascript:' not in html
    assert 'href="https://bik.example"' in html
    row = db.session.scalar(sa.select(Page).where(Page.slug == "barrierefreiheit"))
    assert row.edited_by_staff and row.updated_by_id == roles.staff.id


def test_invalid_edit_is_422(roles, client_for):
    response = client_for(roles.staff).post("/admin/seiten/datenschutz", data={"title": "", "body": "x"})
    assert response.status_code == 422
    assert "Bitte geben Sie eine Überschrift ein." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Page)) == 0
    assert client_for(roles.staff).get("/admin/seiten/gibt-es-nicht").status_code == 404


def test_content_sync_loads_defaults_and_keeps_staff_edits(app, runner, roles, client_for):
    result = runner.invoke(args=["content-sync"])
    assert result.exit_code == 0 and "Seiten: 5 neu" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Page)) == len(PAGES)
    client_for(roles.staff).post("/admin/seiten/angebote", data={"title": "Angebote", "body": "Eigener Text"})
    assert "1 von Hand bearbeitet" in sync_defaults()
    db.session.expire_all()
    assert get_page("angebote").body == "Eigener Text"
    # Reset brings back the shipped text.
    assert client_for(roles.staff).post("/admin/seiten/angebote/zuruecksetzen").status_code == 303
    db.session.expire_all()
    assert "BigBlueButton" in get_page("angebote").body


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403)])
def test_page_editing_is_staff_only(roles, client_for, who, status):
    client = client_for(None if who == "anonymous" else roles.member)
    assert client.get("/admin/seiten/").status_code == status
    assert client.post("/admin/seiten/datenschutz", data={"title": "Gehackt", "body": "x"}).status_code == status
    assert client.post("/admin/seiten/datenschutz/zuruecksetzen").status_code == status
    assert get_page("datenschutz").title == "Datenschutzerklärung"
