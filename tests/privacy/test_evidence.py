"""Evidence on checklist items (issue 18, item 5): files checked by content, dated notes, who may do what,
downloads, deletion with the evidence and with the club, the club export, the report and the query count."""

from __future__ import annotations

import functools
import io
import json
import struct
import zipfile
import zlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.privacy.models import ItemEvidence
from tests.conftest import HX

KEY = "vvt-exists"


# --- tiny real files ------------------------------------------------------------------------------------------


@functools.cache
def pdf_bytes() -> bytes:
    """Made once: fpdf writes the creation time into the file."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Nachweis")
    return bytes(pdf.output())


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>', zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>', zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Verpflichtungserklärung")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("liesmich.txt", "nur ein Archiv")
    return buffer.getvalue()


def encrypted_docx() -> bytes:
    """A DOCX whose members claim to be encrypted (flag bit 0 in the local and central headers)."""
    data = bytearray(docx_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    return bytes(data)


def zip_bomb() -> bytes:
    """Looks like a DOCX, but one member unpacks to 50 MB of zeros from a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        )
        archive.writestr("word/document.xml", b"\x00" * (50 * 1024 * 1024))
    return buffer.getvalue()


ALLOWED = [
    ("bericht.pdf", pdf_bytes, "application/pdf", ".pdf"),
    ("aushang.png", png_bytes, "image/png", ".png"),
    ("foto.jpeg", jpeg_bytes, "image/jpeg", ".jpg"),
    ("verzeichnis.odt", odt_bytes, "application/vnd.oasis.opendocument.text", ".odt"),
    (
        "erklärung.docx",
        docx_bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
]


# --- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture
def evidence_dir(tmp_path):
    return tmp_path / "evidence"


@pytest.fixture
def app_config(app_config, evidence_dir):
    app_config["EVIDENCE_DIR"] = str(evidence_dir)
    return app_config


@pytest.fixture
def ready(roles, content, set_profile):
    set_profile(roles.club)
    return roles


def base(club) -> str:
    return f"/c/{club.slug}/datenschutz/punkt/{KEY}"


def upload(client, club, data: bytes, name: str, mimetype="application/octet-stream", htmx=False, key=KEY):
    return client.post(
        f"/c/{club.slug}/datenschutz/punkt/{key}/nachweise",
        data={"kind": "file", "file": (io.BytesIO(data), name, mimetype)},
        content_type="multipart/form-data",
        headers=HX if htmx else {},
    )


def add_note(client, club, text, noted_on="", htmx=False):
    return client.post(
        f"{base(club)}/nachweise", data={"kind": "note", "text": text, "noted_on": noted_on}, headers=HX if htmx else {}
    )


def stored_files(evidence_dir) -> list:
    return [p for p in evidence_dir.rglob("*") if p.is_file()] if evidence_dir.exists() else []


def rows() -> list[ItemEvidence]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ItemEvidence).order_by(ItemEvidence.id)))


# --- uploading ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "build", "mimetype", "extension"), ALLOWED)
def test_board_uploads_each_allowed_type(ready, client_for, evidence_dir, name, build, mimetype, extension):
    board = client_for(ready.board)
    data = build()
    response = upload(board, ready.club, data, name)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/punkt/{KEY}#evidence-{KEY}")
    (evidence,) = rows()
    assert evidence.kind == "file" and evidence.content_type == mimetype and evidence.size == len(data)
    assert evidence.file_name.endswith(extension) and evidence.author_name == ready.board.name
    # stored under a random name in the club's folder outside the web root, never under the uploader's name
    (path,) = stored_files(evidence_dir)
    assert path.parent.name == str(ready.club.id) and path.name == evidence.storage_name
    assert name not in str(path) and path.read_bytes() == data
    page = board.get(base(ready.club)).get_data(as_text=True)
    assert evidence.file_name in page and f"/nachweise/{evidence.id}" in page


def test_upload_with_htmx_answers_the_evidence_section(ready, client_for):
    response = upload(client_for(ready.board), ready.club, pdf_bytes(), "Protokoll <b>Mai</b>.pdf", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="evidence-{KEY}"' in html
    assert "Die Datei ist als Nachweis gespeichert." in html
    (evidence,) = rows()
    assert "<" not in evidence.file_name and evidence.file_name.endswith(".pdf")


def test_file_name_is_only_sanitised_metadata(ready, client_for):
    from app.privacy.evidence import clean_file_name

    upload(client_for(ready.board), ready.club, png_bytes(), "..\\..\\etc/Vorstand: Liste*.pdf")
    (evidence,) = rows()
    assert evidence.file_name == "Vorstand_ Liste.png"  # no path, no odd characters, the real extension
    assert clean_file_name('a"b\r\nc<d>.exe', "pdf") == "a_bc_d.pdf"
    assert clean_file_name("", "jpeg") == "Nachweis.jpg" and clean_file_name("...", "png") == "Nachweis.png"
    assert len(clean_file_name("x" * 500 + ".pdf", "pdf")) <= 120


REFUSALS = [
    ("leer.pdf", lambda: b"", "Die Datei ist leer"),
    ("programm.pdf", lambda: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "Diese Datei können wir nicht annehmen"),
    ("seite.pdf", lambda: b"<html><script>alert(1)</script></html>", "Diese Datei können wir nicht annehmen"),
    ("bild.gif", lambda: b"GIF89a\x01\x00\x01\x00", "Diese Datei können wir nicht annehmen"),
    ("archiv.docx", plain_zip, "Diese Datei können wir nicht annehmen"),
    ("geheim.docx", encrypted_docx, "Verschlüsselte oder passwortgeschützte Dateien"),
    ("bombe.docx", zip_bomb, "Diese Datei können wir nicht annehmen"),
    ("kaputt.odt", lambda: odt_bytes()[:60], "Diese Datei können wir nicht annehmen"),
]


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(("name", "build", "message"), REFUSALS)
def test_bad_files_are_refused_and_nothing_is_written(ready, client_for, evidence_dir, name, build, message, htmx):
    board = client_for(ready.board)
    response = upload(board, ready.club, build(), name, mimetype="application/pdf", htmx=htmx)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and 'role="alert"' in body
    assert ("<html" in body) == (not htmx)
    assert rows() == [] and stored_files(evidence_dir) == []


def test_oversized_file_is_refused(app, ready, client_for, evidence_dir):
    app.config["EVIDENCE_MAX_BYTES"] = 2048
    response = upload(client_for(ready.board), ready.club, b"%PDF-1.4\n" + b"0" * 4096, "gross.pdf")
    assert response.status_code == 422
    assert "Die Datei ist zu groß (höchstens 2 KB)" in response.get_data(as_text=True)
    assert rows() == [] and stored_files(evidence_dir) == []


def test_a_file_above_the_request_limit_gets_the_german_413(app, ready, client_for, evidence_dir):
    content = b"%PDF-1.4\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    body = (
        b'--grenze\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfile\r\n--grenze\r\n'
        b'Content-Disposition: form-data; name="file"; filename="riesig.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n--grenze--\r\n"
    )
    response = client_for(ready.board).post(
        f"{base(ready.club)}/nachweise", data=body, content_type="multipart/form-data; boundary=grenze"
    )
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
    assert rows() == [] and stored_files(evidence_dir) == []


def test_the_limit_stays_below_the_request_limit(app):
    from app.privacy.evidence import REQUEST_OVERHEAD, max_bytes

    app.config["EVIDENCE_MAX_BYTES"] = 50 * 1024 * 1024
    assert max_bytes() == app.config["MAX_CONTENT_LENGTH"] - REQUEST_OVERHEAD


def test_missing_file_and_unknown_kind(ready, client_for):
    board = client_for(ready.board)
    response = board.post(f"{base(ready.club)}/nachweise", data={"kind": "file"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Bitte wählen Sie eine Datei aus." in response.get_data(as_text=True)
    response = board.post(f"{base(ready.club)}/nachweise", data={"kind": "bild"})
    assert response.status_code == 422
    assert rows() == []


def test_a_failed_save_leaves_no_file(app, ready, evidence_dir, monkeypatch):
    from app.privacy import evidence as service

    def fail(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(service, "audit_record", fail)
    with app.test_request_context():
        with pytest.raises(RuntimeError):
            service.add_file(ready.club, KEY, pdf_bytes(), "a.pdf", by=ready.board)
    assert rows() == [] and stored_files(evidence_dir) == []


# --- dated notes --------------------------------------------------------------------------------------------------


def test_board_adds_a_dated_note(ready, client_for):
    board = client_for(ready.board)
    response = add_note(board, ready.club, "Liegt im Vereinsordner,\nRegal 2.", "2026-11-02", htmx=True)
    assert response.status_code == 200
    (evidence,) = rows()
    assert evidence.kind == "note" and evidence.noted_on.isoformat() == "2026-11-02"
    assert evidence.text == "Liegt im Vereinsordner,\nRegal 2." and evidence.author_name == ready.board.name
    assert "Notiz vom 02.11.2026" in response.get_data(as_text=True)
    # without a date: today
    assert add_note(board, ready.club, "Aushang hängt.").status_code == 303
    assert rows()[1].noted_on is not None


@pytest.mark.parametrize(
    ("text", "noted_on", "message"),
    [
        ("<script>alert(1)</script>", "", "Bitte geben Sie keinen HTML-Code ein"),
        ("Erledigt <b>sofort</b>", "", "Bitte geben Sie keinen HTML-Code ein"),
        ("", "", "Bitte schreiben Sie, was belegt ist."),
        ("x" * 1001, "", "höchstens 1000 Zeichen"),
        ("Mit\x07Klingel", "", "Steuerzeichen"),
        ("Erledigt", "31.02.2026", "gültiges Datum"),
        ("Erledigt", "1999-12-31", "gültiges Datum"),
        ("Erledigt", "FUTURE", "in der Zukunft"),
    ],
)
def test_bad_notes_are_refused(ready, client_for, text, noted_on, message):
    if noted_on == "FUTURE":
        noted_on = (utcnow() + timedelta(days=3)).date().isoformat()
    response = add_note(client_for(ready.board), ready.club, text, noted_on)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert rows() == []


# --- who may do what ---------------------------------------------------------------------------------------------


def _one_file(ready, client_for):
    assert upload(client_for(ready.board), ready.club, pdf_bytes(), "beleg.pdf").status_code == 303
    return rows()[0]


def test_download_headers(ready, client_for):
    evidence = _one_file(ready, client_for)
    response = client_for(ready.member).get(f"{base(ready.club)}/nachweise/{evidence.id}")
    assert response.status_code == 200 and response.data == pdf_bytes()
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="beleg.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_download_name_is_ascii(ready, client_for):
    upload(client_for(ready.board), ready.club, docx_bytes(), "Erklärung Übungsleiter.docx")
    evidence = rows()[0]
    response = client_for(ready.board).get(f"{base(ready.club)}/nachweise/{evidence.id}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="Erklaerung_Uebungsleiter.docx"'


def test_foreign_club_staff_and_anonymous_never_get_the_file(ready, client_for):
    evidence = _one_file(ready, client_for)
    path = f"{base(ready.club)}/nachweise/{evidence.id}"
    assert client_for(ready.outsider).get(path).status_code == 404
    assert client_for(ready.staff).get(path).status_code == 404
    assert client_for(None).get(path).status_code in (302, 401)
    # the id under the other club's URL: not found (matched by club and id, never by id alone)
    foreign = f"/c/{ready.other_club.slug}/datenschutz/punkt/{KEY}/nachweise/{evidence.id}"
    assert client_for(ready.outsider).get(foreign).status_code == 404
    assert client_for(ready.outsider).post(foreign + "/entfernen").status_code == 404
    # under another item of the same club: not found either
    assert client_for(ready.board).get(path.replace(KEY, "proc-avv")).status_code == 404
    assert len(rows()) == 1


def test_members_read_but_add_and_remove_only_when_the_club_lets_them(ready, client_for):
    from app.privacy.services import save_settings

    evidence = _one_file(ready, client_for)
    member = client_for(ready.member)
    page = member.get(base(ready.club)).get_data(as_text=True)
    assert "beleg.pdf" in page and "Datei hochladen" not in page and "Ja, Nachweis entfernen" not in page
    assert upload(member, ready.club, pdf_bytes(), "mitglied.pdf").status_code == 403
    assert add_note(member, ready.club, "Erledigt").status_code == 403
    assert member.post(f"{base(ready.club)}/nachweise/{evidence.id}/entfernen").status_code == 403
    assert len(rows()) == 1

    save_settings(ready.club, members_may_answer=True, consultation_wanted=False, by=ready.board)
    assert "Datei hochladen" in member.get(base(ready.club)).get_data(as_text=True)
    assert upload(member, ready.club, pdf_bytes(), "mitglied.pdf").status_code == 303
    assert [e.author_name for e in rows()] == [ready.board.name, ready.member.name]


def test_no_evidence_is_taken_while_the_club_waits_for_approval(make_user, make_club, content, client_for):
    board = make_user()
    club = make_club(status="pending", board=board)
    client = client_for(board)
    assert "Datei hochladen" not in client.get(f"/c/{club.slug}/datenschutz/punkt/{KEY}").get_data(as_text=True)
    assert upload(client, club, pdf_bytes(), "a.pdf").status_code == 403
    assert rows() == []


# --- removing -----------------------------------------------------------------------------------------------------


def test_removing_evidence_removes_its_file(ready, client_for, evidence_dir):
    evidence = _one_file(ready, client_for)
    board = client_for(ready.board)
    assert len(stored_files(evidence_dir)) == 1
    response = board.post(f"{base(ready.club)}/nachweise/{evidence.id}/entfernen", headers=HX)
    assert response.status_code == 200 and "Der Nachweis ist entfernt." in response.get_data(as_text=True)
    assert rows() == [] and stored_files(evidence_dir) == []
    assert board.get(f"{base(ready.club)}/nachweise/{evidence.id}").status_code == 404
    # a plain form gets a redirect back to the item
    add_note(board, ready.club, "Erledigt")
    response = board.post(f"{base(ready.club)}/nachweise/{rows()[0].id}/entfernen")
    assert response.status_code == 303 and rows() == []


def test_club_deletion_removes_rows_and_files(ready, client_for, evidence_dir):
    from app.dataprotection.erasure import erase_club_data

    _one_file(ready, client_for)
    add_note(client_for(ready.board), ready.club, "Erledigt")
    upload(client_for(ready.outsider), ready.other_club, png_bytes(), "andere.png")  # board of the other club
    assert len(stored_files(evidence_dir)) == 2
    other_id = ready.other_club.id
    erase_club_data(ready.club)
    db.session.commit()
    assert [e.club_id for e in rows()] == [other_id]
    assert [p.parent.name for p in stored_files(evidence_dir)] == [str(other_id)]


def test_account_deletion_keeps_the_evidence_with_the_club(ready, client_for):
    from app.privacy.personal_data import _former_member_evidence

    _one_file(ready, client_for)
    _former_member_evidence(ready.board, "p")
    db.session.commit()
    (evidence,) = rows()
    assert evidence.created_by_id is None and evidence.author_name == "ehemaliges Mitglied"


# --- export, report, CSV ----------------------------------------------------------------------------------------


def test_club_export_contains_metadata_and_files(app, ready, client_for):
    from app.dataprotection.exports import build_club_zip

    _one_file(ready, client_for)
    add_note(client_for(ready.board), ready.club, "Im Vereinsordner")
    file_row, note_row = rows()
    with app.test_request_context():
        archive = zipfile.ZipFile(io.BytesIO(build_club_zip(ready.club)))
    names = archive.namelist()
    assert f"nachweise/{KEY}/{file_row.id}-beleg.pdf" in names
    assert archive.read(f"nachweise/{KEY}/{file_row.id}-beleg.pdf") == pdf_bytes()
    exported = json.loads(archive.read("verein.json"))["privacy_evidence"]
    assert {row["id"] for row in exported} == {file_row.id, note_row.id}
    assert "nachweise/" in archive.read("LIESMICH.txt").decode()


def test_report_pdf_page_and_csv_list_the_evidence_per_item(ready, client_for):
    from pypdf import PdfReader

    from app.toolkit import services as toolkit

    board = client_for(ready.board)
    _one_file(ready, client_for)
    add_note(board, ready.club, "Verzeichnis liegt im Ordner", "2026-11-02")
    toolkit.save_record(ready.club, toolkit.record_draft(ready.club), by=ready.board)

    pdf = board.get(f"/c/{ready.club.slug}/datenschutz/bericht.pdf")
    assert pdf.status_code == 200
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Nachweis: Datei „beleg.pdf“, hochgeladen am" in text
    assert "Notiz vom 02.11.2026" in text and "Verzeichnis liegt im Ordner" in text
    assert "Verzeichnis von Verarbeitungstätigkeiten, Fassung 1 vom" in text  # the generated document

    page = board.get(f"/c/{ready.club.slug}/datenschutz/bericht").get_data(as_text=True)
    assert "Datei „beleg.pdf“" in page and "Verzeichnis liegt im Ordner" in page
    csv = board.get(f"/c/{ready.club.slug}/datenschutz/antworten.csv").data.decode("utf-8-sig")
    assert "Nachweise" in csv.splitlines()[0] and "Datei „beleg.pdf“" in csv


def test_saved_record_is_evidence_with_a_link_to_its_version(ready, client_for):
    from app.privacy.services import load_answer
    from app.toolkit import services as toolkit

    toolkit.save_record(ready.club, toolkit.record_draft(ready.club), by=ready.board)
    toolkit.save_record(ready.club, toolkit.record_draft(ready.club), by=ready.board)
    page = client_for(ready.board).get(base(ready.club)).get_data(as_text=True)
    assert "Nachweis: Verzeichnis von Verarbeitungstätigkeiten, Fassung 2 vom" in page
    assert f'href="/c/{ready.club.slug}/werkzeuge/verzeichnis/2"' in page
    answer = load_answer(ready.club, KEY)[KEY]
    assert answer.status == "yes" and not (answer.note or "")  # the evidence has its own place, not the note


# --- queries ------------------------------------------------------------------------------------------------------


def test_checklist_queries_do_not_grow_with_evidence(ready, client_for, count_queries):
    from app.privacy.services import current_items

    client = client_for(ready.board)
    path = f"/c/{ready.club.slug}/datenschutz/selbstcheck"
    assert client.get(path).status_code == 200  # warm-up
    db.session.expire_all()
    with count_queries() as none:
        assert client.get(path).status_code == 200
    for item in current_items():
        for n in range(3):
            db.session.add(
                ItemEvidence(
                    club_id=ready.club.id,
                    item_key=item.key,
                    kind="note",
                    text=f"Beleg {n}",
                    noted_on=utcnow().date(),
                    author_name="Vera",
                )
            )
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("Nachweise:") >= 35
    assert many.count == none.count


def test_a_club_requiring_two_factor_sends_its_board_to_enrolment_first(ready, client_for):
    ready.club.board_two_factor_required = True
    db.session.commit()
    response = upload(client_for(ready.board), ready.club, pdf_bytes(), "a.pdf")
    assert response.status_code == 303 and response.headers["Location"].endswith("/konto/zwei-faktor")
    assert rows() == []


def test_upload_and_removal_need_the_csrf_token(ready, make_app, app_config, evidence_dir):
    import re

    from tests.conftest import login

    protected = make_app({**app_config, "WTF_CSRF_ENABLED": True})
    with protected.app_context():
        browser = login(protected.test_client(), ready.board)
        page = browser.get(base(ready.club)).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert upload(browser, ready.club, pdf_bytes(), "ohne-token.pdf").status_code == 400
        assert rows() == [] and stored_files(evidence_dir) == []
        response = browser.post(
            f"{base(ready.club)}/nachweise",
            data={"kind": "file", "csrf_token": token, "file": (io.BytesIO(pdf_bytes()), "mit-token.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
        (evidence,) = rows()
        assert browser.post(f"{base(ready.club)}/nachweise/{evidence.id}/entfernen").status_code == 400
        assert len(rows()) == 1


def test_files_live_outside_the_web_root_by_default(app):
    import os

    from app.privacy.evidence import evidence_dir

    app.config["EVIDENCE_DIR"] = None
    folder = os.path.realpath(evidence_dir())
    assert folder == os.path.realpath(os.path.join(app.instance_path, "evidence"))
    assert not folder.startswith(os.path.realpath(app.static_folder))
    assert not folder.startswith(os.path.realpath(app.root_path))  # nothing under the package's folders
