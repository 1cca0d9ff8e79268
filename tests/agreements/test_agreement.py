"""The processing agreement (Art. 28 DSGVO): generated from configuration, accepted by the board, versioned."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.agreements import services
from app.agreements.models import AgreementAcceptance, AgreementVersion
from app.clubs.models import Club
from app.core.audit import AuditEntry
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import pdf_text

OPERATOR = {
    "AGREEMENT_OPERATOR_NAME": "Plattformbetrieb Nordlicht gGmbH",
    "AGREEMENT_OPERATOR_ADDRESS": "Musterstraße 1, 10115 Berlin",
    "AGREEMENT_OPERATOR_CONTACT": "datenschutz@nordlicht.example",
    "AGREEMENT_HOSTING_PROVIDER": "Rechenhaus Falkenberg AG; Rechenzentrum Frankfurt am Main (Deutschland)",
    "AGREEMENT_MAIL_PROVIDER": "Postwerk Mail GmbH; Berlin (Deutschland)",
    "AGREEMENT_BBB_PROVIDER": "selbst",
    "AGREEMENT_MATTERMOST_PROVIDER": "Chatwerk Hosting GmbH; Helsinki (Finnland)",
    "BBB_API_URL": "https://bbb.nordlicht.example/bigbluebutton/api",
    "BBB_SECRET": "x" * 20,
    "MATTERMOST_URL": "https://chat.nordlicht.example",
}


@pytest.fixture
def app_config(app_config):
    app_config.update(OPERATOR)
    return app_config


def _url(club, path=""):
    return f"/c/{club.slug}/avv/{path}"


def _accept(client, club, content_hash=None, confirm="y"):
    if content_hash is None:
        content_hash = services.current_version().content_hash
    return client.post(_url(club, "annehmen"), data={"content_hash": content_hash, "confirm": confirm})


def _text(sections) -> str:
    return "\n".join(s["title"] + "\n" + "\n".join(s["paragraphs"]) for s in sections)


# --- generation from configuration ---------------------------------------------------------------


def test_text_is_generated_from_the_configuration(app):
    with app.test_request_context():
        version = services.current_version()
        german = _text(version.sections["de"])
        english = _text(version.sections["en"])
    assert "Plattformbetrieb Nordlicht gGmbH, Musterstraße 1, 10115 Berlin" in german
    assert "datenschutz@nordlicht.example" in german
    assert "Rechenhaus Falkenberg AG, Standort: Rechenzentrum Frankfurt am Main (Deutschland)" in german
    assert "Postwerk Mail GmbH, Standort: Berlin (Deutschland)" in german
    assert "Chatwerk Hosting GmbH, Standort: Helsinki (Finnland)" in german
    assert "Videokonferenzen (BigBlueButton-Server): betreibt der Betreiber selbst" in german
    # retention from the running configuration
    assert f"nach {app.config['CLUB_DELETION_GRACE_DAYS']} Tagen" in german
    assert f"nach {app.config['AUDIT_RETENTION_DAYS']} Tagen gelöscht" in german
    assert "spätestens nach 30 Tagen überschrieben" in german
    # this test installation runs on http: the agreement says so instead of promising TLS
    assert "nicht über HTTPS erreichbar" in german
    # English for reading, with the same facts
    assert "Sub-processors" in english and "Chatwerk Hosting GmbH" in english
    assert version.number == 1 and len(version.content_hash) == 64


def test_services_not_in_use_are_not_listed(app):
    app.config.update(BBB_API_URL=None, MATTERMOST_URL=None, AGREEMENT_BBB_PROVIDER=None)
    with app.test_request_context():
        german = _text(services.current_version().sections["de"])
    assert "BigBlueButton" not in german and "Chatwerk" not in german
    assert "Rechenhaus Falkenberg AG" in german


@pytest.mark.parametrize(
    "unset", ["AGREEMENT_OPERATOR_NAME", "AGREEMENT_OPERATOR_ADDRESS", "AGREEMENT_MATTERMOST_PROVIDER"]
)
def test_incomplete_configuration_offers_nothing_to_accept(app, roles, client_for, unset):
    app.config[unset] = None
    with app.test_request_context():
        assert services.missing_settings() == [unset]
        assert services.current_version() is None
    page = client_for(roles.board).get(_url(roles.club))
    assert page.status_code == 200
    assert "noch nicht vollständig eingerichtet" in page.get_data(as_text=True)
    assert 'name="confirm"' not in page.get_data(as_text=True)
    response = _accept(client_for(roles.board), roles.club, content_hash="0" * 64)
    assert response.status_code == 409
    assert client_for(roles.board).get(_url(roles.club, "vertrag.pdf")).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 0
    staff = client_for(roles.staff).get("/admin/avv/").get_data(as_text=True)
    assert unset in staff


def test_defaults_are_safe(make_app, database_url):
    """Without settings there is no agreement: a contract that names no operator binds nobody."""
    from tests.conftest import _base_config

    app = make_app(_base_config(database_url))
    with app.test_request_context():
        assert services.missing_settings() == [
            "AGREEMENT_OPERATOR_NAME",
            "AGREEMENT_OPERATOR_ADDRESS",
            "AGREEMENT_HOSTING_PROVIDER",
        ]
        assert services.current_version() is None
        assert app.config["AGREEMENT_BACKUP_DAYS"] == 30


# --- acceptance ----------------------------------------------------------------------------------


def test_board_accepts_with_a_click_and_who_and_when_are_recorded(roles, client_for):
    client = client_for(roles.board)
    page = client.get(_url(roles.club)).get_data(as_text=True)
    assert "Plattformbetrieb Nordlicht gGmbH" in page and "Fassung 1 annehmen" in page
    before = utcnow()
    response = _accept(client, roles.club)
    assert response.status_code == 303
    acceptance = db.session.scalars(sa.select(AgreementAcceptance)).one()
    assert acceptance.club_id == roles.club.id and acceptance.accepted_by_id == roles.board.id
    assert before - timedelta(seconds=1) <= acceptance.accepted_at <= utcnow()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "agreement.accepted"))
    assert entry.actor_id == roles.board.id and entry.club_id == roles.club.id
    assert entry.details["version"] == 1
    page = client.get(_url(roles.club)).get_data(as_text=True)
    assert "Angenommen am" in page and "Vera Vorstand" in page and 'name="confirm"' not in page
    # a second click changes nothing
    assert _accept(client, roles.club).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 1


def test_acceptance_needs_the_confirmation(roles, client_for):
    response = _accept(client_for(roles.board), roles.club, confirm="")
    assert response.status_code == 422
    assert "Bitte bestätigen Sie" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 0


def test_members_read_but_cannot_accept(roles, client_for):
    client = client_for(roles.member)
    page = client.get(_url(roles.club))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Plattformbetrieb Nordlicht gGmbH" in text and 'name="confirm"' not in text
    assert "Annehmen kann den Vertrag nur der Vorstand" in text
    assert _accept(client, roles.club).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 0


def test_other_clubs_see_nothing_of_it(roles, client_for):
    _accept(client_for(roles.board), roles.club)
    outsider = client_for(roles.outsider)  # board of the other club
    assert outsider.get(_url(roles.club)).status_code == 404
    assert outsider.get(_url(roles.club, "vertrag.pdf")).status_code == 404
    assert _accept(outsider, roles.club).status_code == 404
    own = outsider.get(_url(roles.other_club)).get_data(as_text=True)
    assert "noch nicht angenommen" in own and "Vera Vorstand" not in own
    # the accepted version of one club cannot be fetched by number through another
    assert outsider.get(_url(roles.other_club, "vertrag.pdf?fassung=1")).status_code == 200  # current
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 1


def test_a_changed_text_is_not_accepted_unseen(app, roles, client_for):
    client = client_for(roles.board)
    with app.test_request_context():
        read = services.current_version().content_hash
    app.config["AGREEMENT_MAIL_PROVIDER"] = "Anderer Versand GmbH; Dublin (Irland)"
    response = _accept(client, roles.club, content_hash=read)
    assert response.status_code == 409
    assert "inzwischen geändert" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementAcceptance)) == 0


# --- a new version asks again and shows what changed ---------------------------------------------


def test_new_version_asks_again_and_shows_the_changes(app, roles, client_for):
    client = client_for(roles.board)
    _accept(client, roles.club)
    app.config["AGREEMENT_MAIL_PROVIDER"] = "Anderer Versand GmbH; Dublin (Irland)"
    page = client.get(_url(roles.club)).get_data(as_text=True)
    assert "Fassung 2" in page and "Es gibt eine neue Fassung" in page
    assert "Was sich seit Fassung 1 geändert hat" in page
    assert "<del>" in page and "Postwerk Mail GmbH" in page  # the old sub-processor, struck
    assert "<ins>" in page and "Anderer Versand GmbH" in page  # the new one
    assert "6. Unterauftragsverarbeiter" in page and "2. Gegenstand und Dauer" not in page.split("</section>")[0]
    assert 'name="confirm"' in page
    # the evidence still names the version accepted
    with app.test_request_context():
        versions = db.session.scalars(sa.select(AgreementVersion).order_by(AgreementVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]
        changes = services.section_changes(versions[0], versions[1])
    assert [c.title for c in changes] == ["6. Unterauftragsverarbeiter"]
    assert _accept(client, roles.club).status_code == 303
    page = client.get(_url(roles.club)).get_data(as_text=True)
    assert "Es gibt eine neue Fassung" not in page and "Angenommen am" in page
    # back to the first configuration: the first version again, already accepted
    app.config["AGREEMENT_MAIL_PROVIDER"] = OPERATOR["AGREEMENT_MAIL_PROVIDER"]
    with app.test_request_context():
        assert services.current_version().number == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementVersion)) == 2


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_has_the_text_the_version_and_the_acceptance(roles, client_for):
    client = client_for(roles.member)
    response = client.get(_url(roles.club, "vertrag.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "fassung-1.pdf" in response.headers["Content-Disposition"]
    text = " ".join(pdf_text(response.data).split())
    for expected in (
        "Vertrag zur Auftragsverarbeitung (Art. 28 DSGVO)",
        f"Verein: {roles.club.name}",
        "Fassung 1 vom",
        "Plattformbetrieb Nordlicht gGmbH",
        "6. Unterauftragsverarbeiter",
        "Chatwerk Hosting GmbH",
        "Diese Fassung hat der Verein noch nicht angenommen.",
    ):
        assert expected in text, expected
    _accept(client_for(roles.board), roles.club)
    text = " ".join(pdf_text(client.get(_url(roles.club, "vertrag.pdf")).data).split())
    assert "von Vera Vorstand für den Verein" in text and "noch nicht angenommen" not in text


def test_pdf_of_an_older_version_only_if_the_club_accepted_it(app, roles, client_for):
    board = client_for(roles.board)
    _accept(board, roles.club)
    app.config["AGREEMENT_BACKUP_DAYS"] = 14
    assert board.get(_url(roles.club, "vertrag.pdf")).status_code == 200  # version 2, current
    old = board.get(_url(roles.club, "vertrag.pdf?fassung=1"))
    assert old.status_code == 200
    assert "spätestens nach 30 Tagen" in " ".join(pdf_text(old.data).split())
    other = client_for(roles.outsider)
    assert other.get(_url(roles.other_club, "vertrag.pdf?fassung=1")).status_code == 404  # not theirs
    for bad in ("abc", "-1", "99", "1" * 30):
        assert board.get(_url(roles.club, f"vertrag.pdf?fassung={bad}")).status_code == 404


# --- staff overview ------------------------------------------------------------------------------


def test_staff_see_which_club_accepted_which_version(app, roles, make_club, make_user, client_for):
    third = make_club(name="Chor am Kanal", board=make_user(email="chor@verein.example"))
    _accept(client_for(roles.board), roles.club)
    app.config["AGREEMENT_BACKUP_DAYS"] = 14
    _accept(client_for(roles.outsider), roles.other_club)  # version 2
    page = client_for(roles.staff).get("/admin/avv/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Vereine: 3" in text
    assert "aktuelle Fassung angenommen: 1" in text
    assert "ältere Fassung angenommen: 1" in text
    assert "nicht angenommen: 1" in text
    assert "Fassung 2: 1" in text and "Fassung 1: 1" in text
    rows = {
        name: text.split(name, 1)[1].split("</tr>", 1)[0]
        for name in (roles.club.name, roles.other_club.name, third.name)
    }
    assert "veraltet" in rows[roles.club.name] and "Vera Vorstand" in rows[roles.club.name]
    assert "veraltet" not in rows[roles.other_club.name]
    assert "nicht angenommen" in rows[third.name]
    assert client_for(roles.board).get("/admin/avv/").status_code == 403
    assert client_for(None).get("/admin/avv/").status_code in (302, 401)


def test_staff_overview_is_paginated(app, roles, make_club, client_for, count_queries):
    for n in range(services.PAGE_SIZE + 3):
        make_club(name=f"Verein {n:03d}", board=roles.board)
    client = client_for(roles.staff)
    client.get("/admin/avv/")  # the version is stored on first use
    with count_queries() as queries:
        first = client.get("/admin/avv/").get_data(as_text=True)
    assert queries.count < 20  # not one query per club
    assert "Seite 1 von 2" in first and "Vereine: 55" in first
    second = client.get("/admin/avv/?seite=2").get_data(as_text=True)
    assert "Seite 2 von 2" in second and "Verein 052" in second and "Verein 000" not in second
    assert client.get("/admin/avv/?seite=x").status_code == 200


# --- export and deletion -------------------------------------------------------------------------


def test_club_export_contains_the_acceptance_and_the_accepted_pdf(roles, client_for):
    board = client_for(roles.board)
    empty = zipfile.ZipFile(io.BytesIO(board.post(f"/c/{roles.club.slug}/daten/export").data))
    assert "auftragsverarbeitungsvertrag.pdf" not in empty.namelist()  # nothing accepted yet
    _accept(board, roles.club)
    archive = zipfile.ZipFile(io.BytesIO(board.post(f"/c/{roles.club.slug}/daten/export").data))
    data = json.loads(archive.read("verein.json"))
    rows = data["agreement_acceptance"]
    assert len(rows) == 1 and rows[0]["accepted_by_id"] == roles.board.id
    text = " ".join(pdf_text(archive.read("auftragsverarbeitungsvertrag.pdf")).split())
    assert f"Verein: {roles.club.name}" in text and "von Vera Vorstand" in text
    assert "auftragsverarbeitungsvertrag.pdf" in archive.read("LIESMICH.txt").decode()


def test_acceptance_is_deleted_with_the_club(app, roles, client_for, runner):
    from app.dataprotection.models import ClubDeletion

    app.config.update(BBB_API_URL=None, MATTERMOST_URL=None)  # no outside clean-up steps in this test
    _accept(client_for(roles.board), roles.club)
    _accept(client_for(roles.outsider), roles.other_club)
    club_id = roles.club.id
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/daten/schliessen", data={"current_password": PASSWORD, "understood": "y"}
    )
    assert response.status_code == 303
    deletion = db.session.scalars(sa.select(ClubDeletion).where(ClubDeletion.club_id == club_id)).one()
    deletion.delete_after = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Club, club_id) is None
    left = db.session.scalars(sa.select(AgreementAcceptance)).all()
    assert [a.club_id for a in left] == [roles.other_club.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementVersion)) == 1  # the text stays


def test_acceptance_stays_with_the_club_when_the_person_deletes_the_account(app, roles, client_for):
    from app.dataprotection.erasure import erase_user

    _accept(client_for(roles.board), roles.club)
    with app.test_request_context():
        erase_user(roles.board)
    db.session.commit()
    db.session.expire_all()
    acceptance = db.session.scalars(sa.select(AgreementAcceptance)).one()
    assert acceptance.accepted_by_id is None and acceptance.club_id == roles.club.id
    page = client_for(roles.member).get(_url(roles.club)).get_data(as_text=True)
    assert "ehemaliges Mitglied" in page and "Vera Vorstand" not in page


# --- tenancy: the routes are in the walk --------------------------------------------------------


def test_routes_are_club_scoped_and_walked(app):
    from app.core.tenancy import club_scoped_rules

    declared = {rule.endpoint: access.role for rule, access in club_scoped_rules(app)}
    assert declared["agreements.show"] == "member"
    assert declared["agreements.pdf"] == "member"
    assert declared["agreements.accept"] == "board"


def test_workspace_links_the_agreement(roles, client_for):
    page = client_for(roles.member).get(f"/c/{roles.club.slug}/").get_data(as_text=True)
    assert f'href="/c/{roles.club.slug}/avv/"' in page


def test_page_and_pdf_in_english_say_the_german_text_binds(roles, client_for):
    client = client_for(roles.member)
    client.post("/sprache", data={"lang": "en", "next": "/vereine"})
    page = client.get(_url(roles.club)).get_data(as_text=True)
    assert "Data processing agreement with the operator" in page
    assert "6. Sub-processors" in page and "The German version is binding." in page
    text = " ".join(pdf_text(client.get(_url(roles.club, "vertrag.pdf")).data).split())
    assert "Data processing agreement (Art. 28 GDPR)" in text and "The German version is binding." in text


def test_partial_for_htmx(roles, client_for):
    from tests.conftest import HX

    body = client_for(roles.member).get(_url(roles.club), headers=HX).get_data(as_text=True)
    assert "<html" not in body and 'id="agreement"' in body


def test_workspace_home_asks_the_board_until_the_current_version_is_accepted(
    app, app_config, roles, client_for, make_app
):
    from tests.conftest import login

    home = f"/c/{roles.club.slug}/"
    notice = "ist noch nicht angenommen"
    board = client_for(roles.board)
    assert notice in board.get(home).get_data(as_text=True)
    assert notice not in client_for(roles.member).get(home).get_data(as_text=True)  # members cannot accept
    _accept(board, roles.club)
    assert notice not in board.get(home).get_data(as_text=True)
    # the operator changes a setting and restarts: a new version, also on a workspace page stored before
    restarted = make_app({**app_config, "AGREEMENT_BACKUP_DAYS": 7})
    page = login(restarted.test_client(), roles.board).get(home).get_data(as_text=True)
    assert "(Fassung 2) ist noch nicht angenommen" in page


@pytest.mark.parametrize(
    "extra",
    [
        ("Festplatten sind verschlüsselt.", "Zwei-Faktor-Anmeldung für Admins."),
        "Festplatten sind verschlüsselt.\nZwei-Faktor-Anmeldung für Admins.\n",
    ],
)
def test_extra_measures_from_the_settings(app, extra):
    app.config["AGREEMENT_TOMS_EXTRA"] = extra
    with app.test_request_context():
        toms = next(s for s in services.current_version().sections["de"] if s["key"] == "massnahmen")
    assert "– Festplatten sind verschlüsselt." in toms["paragraphs"]
    assert "– Zwei-Faktor-Anmeldung für Admins." in toms["paragraphs"]
