import io
import json
import re
import zipfile

from app.dataprotection import registry
from app.dataprotection.models import DataExport
from app.dataprotection.services import club_data, user_data
from app.extensions import db
from tests.conftest import HX
from tests.helpers import pdf_text


def _download_link(mailbox, address):
    messages = mailbox.to(address)
    assert messages, "no export mail"
    body = mailbox.body(messages[-1])
    match = re.search(r"http://localhost(/konto/meine-daten/export/\S+)", body)
    assert match, body
    return match.group(1)


def test_every_declared_model_appears_in_the_personal_export(app, roles):
    data = user_data(roles.member)
    for model, policy in registry.PERSONAL_DATA.items():
        assert model.__tablename__ in data[policy.category], model.__tablename__
    assert data["account"]["user"][0]["email"] == roles.member.email
    assert "password_hash" not in data["account"]["user"][0]
    assert data["memberships"]["membership"][0]["club"] == roles.club.name


def test_every_declared_model_appears_in_the_club_export(app, roles):
    data = club_data(roles.club)
    for model, policy in registry.PERSONAL_DATA.items():
        assert (model.__tablename__ in data) is not policy.staff_only, model.__tablename__
    assert {row["email"] for row in data["user"]} == {roles.board.email, roles.member.email}
    assert roles.outsider.email not in json.dumps(data)
    assert all("token" not in row for row in data["invitation"])


def test_export_is_prepared_mailed_and_downloaded(roles, client_for, mailbox):
    client = client_for(roles.member)
    response = client.post("/konto/meine-daten/export", headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert "wird vorbereitet" in response.get_data(as_text=True)
    link = _download_link(mailbox, roles.member.email)
    download = client.get(link)
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    assert download.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = set(archive.namelist())
    assert {"account.json", "memberships.json", "audit.json", "uebersicht.html"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["user"][0]["email"] == roles.member.email
    summary = archive.read("uebersicht.html").decode()
    assert roles.member.email in summary and "Wie lange" in summary
    assert "http" not in summary.replace(roles.member.email, "")  # nothing loads from elsewhere


def test_export_link_is_personal_and_expires(roles, client_for, mailbox):
    client_for(roles.member).post("/konto/meine-daten/export")
    link = _download_link(mailbox, roles.member.email)
    other = client_for(roles.board).get(link)
    assert other.status_code == 303 and other.headers["Location"].endswith("/konto/meine-daten")
    assert client_for(None).get(link).status_code == 302  # login first
    export = db.session.scalars(db.select(DataExport)).one()
    export.expires_at = export.created_at
    db.session.commit()
    expired = client_for(roles.member).get(link, follow_redirects=True)
    assert "abgelaufen" in expired.get_data(as_text=True)
    tampered = client_for(roles.member).get(link[:-3] + "abc", follow_redirects=True)
    assert "ungültig" in tampered.get_data(as_text=True)


def test_second_request_while_pending_is_refused(roles, client_for, monkeypatch):
    from app.dataprotection import exports, tasks

    monkeypatch.setattr(tasks, "prepare_user_export", lambda export_id: None)  # stays pending
    client = client_for(roles.member)
    assert client.post("/konto/meine-daten/export").status_code == 200
    again = client.post("/konto/meine-daten/export")
    assert again.status_code == 409
    assert "schon vorbereitet" in again.get_data(as_text=True)
    assert exports.exports_of(roles.member)[0].status == "pending"


def test_club_export_for_board_only(roles, client_for):
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"verein.json", "csv/membership.csv", "csv/club.csv", "LIESMICH.txt"} <= names
    assert roles.member.email in archive.read("csv/user.csv").decode()
    data = json.loads(archive.read("verein.json"))
    assert data["club"][0]["name"] == roles.club.name
    assert client_for(roles.member).post(f"/c/{roles.club.slug}/daten/export").status_code == 403


def test_club_export_includes_checklist_pdf_when_available(roles, client_for, monkeypatch):
    from app.privacy import personal_data

    monkeypatch.setattr(personal_data, "report_pdf", lambda club: b"%PDF-1.4 test")
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.read("datenschutz-selbstcheck.pdf").startswith(b"%PDF")


def test_my_data_page_lists_categories_with_retention(roles, client_for, app):
    app.config["AUDIT_RETENTION_DAYS"] = 77
    page = client_for(roles.member).get("/konto/meine-daten")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for title in ("Konto", "Vereine und Rollen", "Sicherheitsprotokoll"):
        assert title in text
    assert "77 Tage" in text
    assert client_for(None).get("/konto/meine-daten").status_code == 302


def test_club_export_contains_the_checklist_report_pdf(roles, client_for):
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.read("datenschutz-selbstcheck.pdf").startswith(b"%PDF")
    text = " ".join(pdf_text(archive.read("datenschutz-selbstcheck.pdf")).split())
    assert "Bericht: Datenschutz-Selbstcheck" in text and f"Verein: {roles.club.name}" in text
    assert roles.other_club.name not in text


def test_audit_entries_about_me_are_in_my_export(roles):
    from app.core.audit import audit_record

    audit_record(
        "member.role_changed", actor=roles.board, club=roles.club, user_id=roles.member.id, old="member", new="board"
    )
    db.session.commit()
    rows = user_data(roles.member)["audit"]["audit_entry"]
    assert any(row["action"] == "member.role_changed" for row in rows)
    assert not any(row["action"] == "member.role_changed" for row in user_data(roles.outsider)["audit"]["audit_entry"])


def test_ready_export_is_offered_on_the_page_too(roles, client_for, mailbox):
    client = client_for(roles.member)
    client.post("/konto/meine-daten/export")
    link = _download_link(mailbox, roles.member.email)
    page = client.get("/konto/meine-daten").get_data(as_text=True)
    # the token carries a timestamp: the page's link may differ from the mailed one by a second
    offered = re.findall(r'href="(/konto/meine-daten/export/[^"]+)"', page)
    assert len(offered) == 1
    assert client.get(offered[0]).data == client.get(link).data
