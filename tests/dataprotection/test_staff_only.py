"""Staff-only data never reaches the club: not in verein.json, not in the CSV files, not in any file.

Issue 12, item 5: staff notes on a club ("never shown to the club") were part of the club's own
export. The checks below are generic over what the registry declares as staff-only (tables, columns,
audit actions), so a future staff-only field is checked as soon as it is declared.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from app.core.audit import audit_record
from app.dataprotection import registry
from app.dataprotection.registry import Policy
from app.extensions import db
from tests.helpers import pdf_text

MARKER = "INTERN-nur-fuer-das-Team-4711"


def _export(roles, client_for) -> tuple[dict, dict[str, list[dict]], dict[str, bytes]]:
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(files["verein.json"])
    csvs = {
        name[len("csv/") : -len(".csv")]: list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
        for name, content in files.items()
        if name.startswith("csv/")
    }
    return data, csvs, files


def _staff_only_declarations():
    tables = [model.__tablename__ for model, policy in registry.PERSONAL_DATA.items() if policy.staff_only]
    columns = {
        model.__tablename__: set(policy.staff_only_columns)
        for model, policy in registry.PERSONAL_DATA.items()
        if policy.staff_only_columns
    }
    return tables, columns, set(registry.STAFF_ONLY_AUDIT_ACTIONS)


def _assert_no_staff_only_data(data, csvs, files):
    tables, columns, actions = _staff_only_declarations()
    for table in tables:
        assert table not in data, table
        assert table not in csvs, table
    for table, hidden in columns.items():
        for row in data.get(table, []) + csvs.get(table, []):
            assert not hidden & set(row), (table, hidden & set(row))
    for row in data["audit_entry"] + csvs.get("audit_entry", []):
        assert row["action"] not in actions, row
    _assert_no_marker(files)


def _assert_no_marker(files):
    """No file holds the marker: PDFs by their text (pypdf; a line break may split the marker), others as bytes."""
    for name, content in files.items():
        if name.endswith(".pdf"):
            assert MARKER not in "".join(pdf_text(content).split()), name
        else:
            assert MARKER.encode() not in content, name


def test_staff_notes_are_declared_staff_only(app):
    from app.admin.models import StaffNote

    tables, _columns, actions = _staff_only_declarations()
    assert StaffNote.__tablename__ in tables
    assert {"admin.note_added", "admin.note_deleted"} <= actions


def test_club_export_holds_no_staff_only_data(roles, client_for):
    staff = client_for(roles.staff)
    response = staff.post(f"/admin/vereine/{roles.club.id}/notizen", data={"body": MARKER})
    assert response.status_code in (200, 303)
    from app.admin.models import StaffNote

    assert db.session.scalars(db.select(StaffNote)).one().body == MARKER
    for action in registry.STAFF_ONLY_AUDIT_ACTIONS:  # every declared staff-only action, not only today's
        audit_record(action, actor=roles.staff, club=roles.club, note=MARKER)
    audit_record("admin.answers_viewed", actor=roles.staff, club=roles.club)  # shown to the club on purpose
    db.session.commit()

    data, csvs, files = _export(roles, client_for)
    _assert_no_staff_only_data(data, csvs, files)
    assert any(row["action"] == "admin.answers_viewed" for row in data["audit_entry"])


@pytest.mark.parametrize(
    "declaration",
    [
        {"staff_only": True},
        {"staff_only_columns": ("description", "contact_email")},
    ],
)
def test_a_new_staff_only_declaration_is_honoured(roles, client_for, monkeypatch, declaration):
    """Declaring a table or a column staff-only is all it takes to keep it out of the club export."""
    from app.clubs.models import Club, ClubStatusChange

    model = ClubStatusChange if declaration.get("staff_only") else Club
    policy = registry.PERSONAL_DATA[model]
    monkeypatch.setitem(registry.PERSONAL_DATA, model, Policy(**{**policy.__dict__, **declaration}))
    if model is Club:
        roles.club.description = MARKER
    else:
        db.session.add(
            ClubStatusChange(
                club_id=roles.club.id, old_status=roles.club.status, new_status=roles.club.status, reason=MARKER
            )
        )
    db.session.commit()
    data, csvs, files = _export(roles, client_for)
    _assert_no_staff_only_data(data, csvs, files)
    if model is Club:
        assert data["club"][0]["name"] == roles.club.name  # the rest of the row is still there


def test_the_marker_scan_reads_the_pdfs_of_the_export(roles, client_for):
    """The scan above would see the marker in a PDF of the export (the PDFs are compressed: bytes do not show it)."""
    roles.club.name = f"Verein {MARKER}"
    db.session.commit()
    _data, _csvs, files = _export(roles, client_for)
    pdfs = {name: content for name, content in files.items() if name.endswith(".pdf")}
    assert pdfs, sorted(files)
    for name, content in pdfs.items():
        assert MARKER.encode() not in content, name  # a byte search alone would miss it
        with pytest.raises(AssertionError, match=name.replace(".", r"\.")):
            _assert_no_marker({name: content})
