"""Privacy notices (issue 18, item 2): generated from the record, edited by the board, copied or downloaded."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.toolkit import services
from app.toolkit.models import NoticeKind, NoticeVersion


@pytest.fixture
def record(app, roles):
    content = services.record_draft(roles.club)
    content["dpo"] = "Dana Datenschutz, dsb@verein.example"
    content["activities"].append(
        {
            "name": "Website und Social Media",
            "purpose": "Darstellung des Vereins.",
            "legal_basis": "Art. 6 Abs. 1 lit. f",
            "data_categories": "IP-Adressen",
            "recipients": "Hosting-Anbieter",
            "retention": "sieben Tage",
        }
    )
    return services.save_record(roles.club, content, by=roles.board)


def _count():
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(NoticeVersion))


def test_the_membership_notice_is_generated_from_the_record(app, roles, board, base, record):
    page = board.get(f"{base}/hinweise/mitgliedsantrag/bearbeiten").get_data(as_text=True)
    for part in (
        roles.club.contact_email,  # the controller's contact
        "Dana Datenschutz",  # the DPO
        "Mitgliederverwaltung: Aufnahme, Betreuung",  # purpose
        "Art. 6 Abs. 1 lit. b DSGVO",  # legal basis
        "Kreditinstitut des Vereins",  # recipients
        "§ 147 AO",  # retention
        "Auskunft (Art. 15 DSGVO)",  # rights
        "Berliner Beauftragte für Datenschutz und Informationsfreiheit",  # the authority
        "Fassung 1",
    ):
        assert part in page, part
    assert "IP-Adressen" not in page and "Hosting-Anbieter" not in page  # the website has its own notice
    website = board.get(f"{base}/hinweise/website/bearbeiten").get_data(as_text=True)
    assert "Hosting-Anbieter" in website and "Kreditinstitut" not in website


def test_the_board_edits_and_saves_a_notice_and_downloads_it(app, roles, board, base, record, client_for):
    response = board.post(
        f"{base}/hinweise/mitgliedsantrag/bearbeiten", data={"text": "Datenschutzhinweise\nUnser Text."}
    )
    assert response.status_code == 303
    notice = db.session.scalars(sa.select(NoticeVersion)).one()
    assert notice.kind is NoticeKind.MEMBERSHIP and notice.number == 1 and notice.record_number == 1
    page = board.get(f"{base}/hinweise/").get_data(as_text=True)
    assert "Unser Text." in page and "readonly" in page
    # the editor starts from the saved text while the record is unchanged
    assert "Unser Text." in board.get(f"{base}/hinweise/mitgliedsantrag/bearbeiten").get_data(as_text=True)
    pdf = board.get(f"{base}/hinweise/mitgliedsantrag/pdf")
    assert (
        pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    )
    docx = board.get(f"{base}/hinweise/mitgliedsantrag/docx")
    with zipfile.ZipFile(io.BytesIO(docx.data)) as archive:
        assert "Unser Text." in archive.read("word/document.xml").decode()
    assert board.get(f"{base}/hinweise/website/pdf").status_code == 404  # not created yet
    assert board.get(f"{base}/hinweise/gibtsnicht/pdf").status_code == 404
    member = client_for(roles.member)
    assert member.get(f"{base}/hinweise/mitgliedsantrag/pdf").status_code == 403
    assert member.post(f"{base}/hinweise/mitgliedsantrag/bearbeiten", data={"text": "x"}).status_code == 403
    services.share_record(roles.club, True, by=roles.board)
    assert member.get(f"{base}/hinweise/mitgliedsantrag/pdf").status_code == 200
    assert "Unser Text." in member.get(f"{base}/hinweise/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Bitte geben Sie den Text des Hinweises ein."),
        ("<p>Hallo</p>", "keinen HTML-Code"),
        ("x" * 20001, "Höchstens 20000"),
    ],
)
def test_bad_notice_input_is_refused(app, board, base, record, text, message):
    response = board.post(f"{base}/hinweise/mitgliedsantrag/bearbeiten", data={"text": text})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _count() == 0


def test_without_a_record_there_is_no_notice(app, roles, board, base):
    response = board.get(f"{base}/hinweise/mitgliedsantrag/bearbeiten")
    assert response.status_code == 303 and response.headers["Location"].endswith("/werkzeuge/verzeichnis/")
    assert board.post(f"{base}/hinweise/mitgliedsantrag/bearbeiten", data={"text": "Text"}).status_code == 303
    assert _count() == 0


def test_a_newer_record_asks_to_check_the_notice(app, roles, board, base, record):
    board.post(f"{base}/hinweise/mitgliedsantrag/bearbeiten", data={"text": "Alter Text"})
    services.save_record(roles.club, record.content, by=roles.board)
    assert "Das Verzeichnis hat eine neuere Fassung" in board.get(f"{base}/hinweise/").get_data(as_text=True)
    page = board.get(f"{base}/hinweise/mitgliedsantrag/bearbeiten").get_data(as_text=True)
    assert "Alter Text" not in page and "Fassung 2" in page  # generated afresh from the newer record


def test_another_club_cannot_reach_the_notices(app, roles, board, base, record, client_for):
    board.post(f"{base}/hinweise/mitgliedsantrag/bearbeiten", data={"text": "Geheimer Entwurf"})
    other = client_for(roles.outsider)
    other_base = f"/c/{roles.other_club.slug}/werkzeuge/hinweise"
    assert other.get(f"{other_base}/mitgliedsantrag/pdf").status_code == 404
    assert "Geheimer Entwurf" not in other.get(f"{other_base}/").get_data(as_text=True)
