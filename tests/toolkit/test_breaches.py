"""The breach log (issue 18, item 4): "Datenpanne melden", the 72-hour clock, the recommendation, closing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.i18n import local_tz, to_local_naive
from app.extensions import db
from app.toolkit import services
from app.toolkit.models import Breach


def _count():
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Breach))


def _form(**overrides):
    discovered = to_local_naive(utcnow() - timedelta(hours=5))
    data = {
        "discovered_at": discovered.strftime("%Y-%m-%dT%H:%M"),
        "facts": "Rundmail an 80 Mitglieder mit offenem Verteiler",
        "data_kinds": "E-Mail-Adressen",
        "affected_count": "80",
        "risk": "yes",
        "high_risk": "no",
        "effects": "",
        "remedies": "Empfänger gebeten, die Mail zu löschen",
    }
    data.update(overrides)
    return data


def test_reporting_a_breach_starts_the_clock_from_discovery(app, roles, board, base):
    response = board.post(f"{base}/pannen/", data=_form())
    assert response.status_code == 303
    item = db.session.scalars(sa.select(Breach)).one()
    assert item.club_id == roles.club.id and item.created_by_id == roles.board.id
    assert timedelta(hours=4, minutes=58) < utcnow() - item.discovered_at < timedelta(hours=5, minutes=2)
    assert item.deadline == item.discovered_at + timedelta(hours=72)
    body = board.get(response.headers["Location"]).get_data(as_text=True)
    assert "Noch 66 Stunden" in body or "Noch 67 Stunden" in body
    assert services.BLNBDI_BREACH_FORM in body  # the authority's online form
    assert "Text für die Meldung an die Aufsichtsbehörde" in body
    assert "Rundmail an 80 Mitglieder" in body and "Text für die Betroffenen" not in body
    assert board.get(f"{base}/pannen/").status_code == 200


@pytest.mark.parametrize(
    ("risk", "high_risk", "sensitive", "authority", "people"),
    [
        ("no", "no", False, False, False),
        ("unsure", "no", False, True, False),
        ("yes", "no", False, True, False),
        ("yes", "unsure", False, True, True),
        ("yes", "yes", False, True, True),
        ("no", "no", True, True, False),
        ("unsure", "no", True, True, True),
    ],
)
def test_the_risk_assessment_yields_the_recommendation(app, roles, risk, high_risk, sensitive, authority, people):
    item = services.log_breach(
        roles.club,
        discovered_at=utcnow(),
        by=roles.board,
        facts="USB-Stick verloren",
        data_kinds="Mitgliederliste",
        affected_count=120,
        sensitive=sensitive,
        risk=risk,
        high_risk=high_risk,
    )
    assert (item.recommend_authority, item.recommend_people) == (authority, people)


def test_the_texts_for_authority_and_people(app, roles, board, base):
    board.post(f"{base}/pannen/", data=_form(high_risk="yes", data_kinds="Bankverbindungen", sensitive="y"))
    item = db.session.scalars(sa.select(Breach)).one()
    body = board.get(f"{base}/pannen/{item.id}").get_data(as_text=True)
    assert "Text für die Betroffenen" in body
    assert "Art. 33 DSGVO" in body and "Ungefähre Zahl der betroffenen Personen: 80" in body
    assert roles.club.contact_email in body and "Bankverbindungen" in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"discovered_at": "FUTURE"}, "Zukunft"),
        ({"discovered_at": ""}, "Bitte geben Sie Datum und Uhrzeit an."),
        ({"facts": ""}, "Bitte beschreiben Sie, was passiert ist."),
        ({"facts": "<script>alert(1)</script>"}, "keinen HTML-Code"),
        ({"data_kinds": "<a href=x>Namen</a>"}, "keinen HTML-Code"),
        ({"affected_count": "0"}, "Bitte geben Sie eine Zahl ab 1 an."),
        ({"affected_count": "viele"}, "Wie viele Personen"),
        ({"risk": ""}, "Bitte beantworten Sie die Frage nach einem möglichen Nachteil."),
        ({"high_risk": "vielleicht"}, "Könnte der Nachteil schwer wiegen?"),
    ],
)
def test_bad_breach_input_is_refused_and_nothing_written(app, board, base, overrides, message):
    if overrides.get("discovered_at") == "FUTURE":
        overrides = {"discovered_at": (datetime.now(local_tz()) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")}
    response = board.post(f"{base}/pannen/", data=_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_a_member_cannot_see_or_report_breaches(app, roles, client_for, base):
    member = client_for(roles.member)
    assert member.get(f"{base}/pannen/").status_code == 403
    assert member.post(f"{base}/pannen/", data=_form()).status_code == 403
    assert _count() == 0


def test_another_clubs_breach_is_not_found_under_its_own_slug(app, roles, client_for):
    item = services.log_breach(
        roles.club,
        discovered_at=utcnow(),
        by=roles.board,
        facts="geheim",
        data_kinds="Namen",
        affected_count=3,
        sensitive=False,
        risk="yes",
        high_risk="no",
    )
    other = client_for(roles.outsider)
    other_base = f"/c/{roles.other_club.slug}/werkzeuge/pannen/{item.id}"
    assert other.get(other_base).status_code == 404
    for action in ("behoerde-gemeldet", "betroffene-informiert", "abschliessen"):
        assert (
            other.post(f"{other_base}/{action}", data={"remedies": "x", "not_notified_reason": "x"}).status_code == 404
        )
    db.session.refresh(item)
    assert item.authority_notified_at is None and item.closed_at is None


def test_notifying_and_closing(app, roles, board, base):
    board.post(f"{base}/pannen/", data=_form(high_risk="yes"))
    item = db.session.scalars(sa.select(Breach)).one()
    url = f"{base}/pannen/{item.id}"
    assert board.post(f"{url}/behoerde-gemeldet").status_code == 303
    db.session.refresh(item)
    assert item.authority_notified_at is not None
    # the people affected were not informed: closing needs a reason (Art. 33(5)), nothing is written without
    refused = board.post(f"{url}/abschliessen", data={"remedies": "Passwörter geändert", "not_notified_reason": ""})
    assert refused.status_code == 422 and "Bitte begründen Sie" in refused.get_data(as_text=True)
    db.session.refresh(item)
    assert item.closed_at is None and item.remedies == "Empfänger gebeten, die Mail zu löschen"
    assert board.post(f"{url}/betroffene-informiert").status_code == 303
    closed = board.post(f"{url}/abschliessen", data={"remedies": "Passwörter geändert", "effects": "keine bekannt"})
    assert closed.status_code == 303
    db.session.refresh(item)
    assert item.closed_at is not None and item.remedies == "Passwörter geändert" and item.effects == "keine bekannt"
    assert board.post(f"{url}/behoerde-gemeldet").status_code == 409  # closed: nothing more to record


def test_a_breach_that_is_not_notified_is_logged_with_its_reason(app, roles, board, base):
    board.post(f"{base}/pannen/", data=_form(risk="no", high_risk="no"))
    item = db.session.scalars(sa.select(Breach)).one()
    body = board.get(f"{base}/pannen/{item.id}").get_data(as_text=True)
    assert "Keine Meldung an die Aufsichtsbehörde" in body and "Text für die Meldung" not in body
    response = board.post(
        f"{base}/pannen/{item.id}/abschliessen",
        data={"remedies": "Mail war verschlüsselt", "not_notified_reason": "Daten verschlüsselt, kein Risiko"},
    )
    assert response.status_code == 303
    db.session.refresh(item)
    assert item.authority_notified_at is None and item.not_notified_reason == "Daten verschlüsselt, kein Risiko"
    assert item.closed_at is not None
    assert "abgeschlossen" in board.get(f"{base}/pannen/").get_data(as_text=True)


def test_a_late_report_needs_the_reasons_for_the_delay(app, roles, board, base):
    item = services.log_breach(
        roles.club,
        discovered_at=utcnow() - timedelta(hours=80),
        by=roles.board,
        facts="Laptop gestohlen",
        data_kinds="Namen",
        affected_count=30,
        sensitive=False,
        risk="yes",
        high_risk="no",
    )
    body = board.get(f"{base}/pannen/{item.id}").get_data(as_text=True)
    assert "abgelaufen" in body
    board.post(f"{base}/pannen/{item.id}/behoerde-gemeldet")
    refused = board.post(f"{base}/pannen/{item.id}/abschliessen", data={"remedies": "Anzeige erstattet"})
    assert refused.status_code == 422
    ok = board.post(
        f"{base}/pannen/{item.id}/abschliessen",
        data={"remedies": "Anzeige erstattet", "not_notified_reason": "Diebstahl erst nach dem Wochenende bemerkt"},
    )
    assert ok.status_code == 303
