"""Staff see scores, never a club's answers or notes – unless its board asks for consultation."""

import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.extensions import db

NOTE = "Mitgliederliste liegt im Schrank von Frau K."


def _content():
    from app.privacy.models import Answer, ChecklistItem, ChecklistTopic, ChecklistVersion

    version = ChecklistVersion(number=1, content_hash="x")
    db.session.add(version)
    db.session.flush()
    db.session.add(
        ChecklistTopic(version_id=version.id, key="mitglieder", title_de="Mitgliederdaten", title_en="Member data")
    )
    db.session.add(
        ChecklistItem(
            version_id=version.id,
            key="liste",
            topic_key="mitglieder",
            severity="must",
            question_de="Ist die Mitgliederliste geschützt?",
            question_en="Protected?",
            why_de="",
            why_en="",
            legal_basis="Art. 32",
            content_hash="h",
        )
    )
    return Answer


def test_staff_see_scores_but_not_answers(roles, staff_client, assess):
    Answer = _content()
    db.session.add(Answer(club_id=roles.club.id, item_key="liste", status="partial", note=NOTE))
    assess(roles.club, score=55, topics={"mitglieder": 55})
    html = staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert 'id="total-score">55<' in html and "Mitgliederdaten" in html
    assert NOTE not in html and "Ist die Mitgliederliste geschützt?" not in html
    assert f"/admin/vereine/{roles.club.id}/antworten" not in html
    refused = staff_client.get(f"/admin/vereine/{roles.club.id}/antworten")
    assert refused.status_code == 403 and NOTE not in refused.get_data(as_text=True)
    assert "keine Beratung angefragt" in refused.get_data(as_text=True)


def test_consultation_wanted_shares_answers_until_switched_off(roles, staff_client, assess):
    Answer = _content()
    db.session.add(Answer(club_id=roles.club.id, item_key="liste", status="partial", note=NOTE))
    assessment = assess(roles.club, score=55, topics={"mitglieder": 55}, consultation=True)
    detail = staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)
    assert f"/admin/vereine/{roles.club.id}/antworten" in detail and NOTE not in detail
    shared = staff_client.get(f"/admin/vereine/{roles.club.id}/antworten")
    html = shared.get_data(as_text=True)
    assert shared.status_code == 200
    assert NOTE in html and "Ist die Mitgliederliste geschützt?" in html and "Teilweise" in html
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "admin.answers_viewed"))
    assert entry.club_id == roles.club.id and entry.actor_id == roles.staff.id
    # the board switches it off again: access ends immediately
    assessment.consultation_wanted = False
    db.session.commit()
    assert staff_client.get(f"/admin/vereine/{roles.club.id}/antworten").status_code == 403
    assert NOTE not in staff_client.get(f"/admin/vereine/{roles.club.id}").get_data(as_text=True)


def test_other_clubs_answers_never_leak(roles, staff_client, assess):
    Answer = _content()
    db.session.add(Answer(club_id=roles.other_club.id, item_key="liste", status="no", note="Fremde Notiz"))
    assess(roles.club, score=10, consultation=True)
    html = staff_client.get(f"/admin/vereine/{roles.club.id}/antworten").get_data(as_text=True)
    assert "Fremde Notiz" not in html and "noch nicht beantwortet" in html
