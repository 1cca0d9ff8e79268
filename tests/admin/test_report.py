"""The quarterly report to the administration: PDF and CSV, no personal data, no number under 5."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import timedelta

import pytest

from app.admin import report
from app.admin.report import MIN_CELL, Quarter, protect
from app.core.db import utcnow
from app.extensions import db
from tests.helpers import pdf_text, text

# --- the suppression rule itself ------------------------------------------------------------------


def _rows(table):
    return dict(table.rows)


def test_small_groups_are_merged_into_the_rest():
    table = protect("t", "T", "Vereine", [("A", 9), ("B", 7), ("C", 3), ("D", 2), ("E", 0)])
    assert _rows(table) == {"A": 9, "B": 7, "Übrige": 5}
    assert table.merged == ["C", "D"] and "Zusammengefasst unter „Übrige“: C, D." == table.note


def test_a_rest_under_five_takes_in_the_next_smallest_group():
    table = protect("t", "T", "Vereine", [("Pankow", 6), ("Mitte", 5), ("Spandau", 2), ("Neukölln", 1)])
    assert _rows(table) == {"Pankow": 6, "Übrige": 8}
    assert sorted(table.merged) == ["Mitte", "Neukölln", "Spandau"]


def test_a_total_under_five_leaves_the_table_out():
    table = protect("t", "T", "Vereine", [("A", 2), ("B", 2)])
    assert table.rows == [] and table.suppressed
    assert table.note == "Weggelassen: insgesamt weniger als 5."


def test_groups_without_clubs_are_not_listed_and_an_empty_table_says_nothing():
    table = protect("t", "T", "Vereine", [("A", 12), ("B", 0)])
    assert table.rows == [("A", 12)] and table.note == ""
    assert protect("t", "T", "Vereine", [("A", 0)]).rows == []


def test_no_published_number_is_under_five_and_nothing_can_be_subtracted_out():
    rng = random.Random(20)
    for _round in range(500):
        items = [(f"G{i}", rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 20])) for i in range(rng.randint(1, 8))]
        table = protect("t", "T", "Vereine", items)
        total = sum(n for _label, n in items)
        assert all(n >= MIN_CELL for _label, n in table.rows), items
        if table.rows:  # everything is accounted for: the shown rows add up to the total
            assert sum(n for _label, n in table.rows) == total
            shown = {label for label, _n in table.rows}
            hidden = {label for label, n in items if n and label not in shown}
            assert hidden == set(table.merged), items
        else:
            assert total < MIN_CELL


# --- the report from the database -------------------------------------------------------------------


@pytest.fixture
def quarter():
    today = utcnow().date()
    return Quarter(today.year, (today.month - 1) // 3 + 1)


@pytest.fixture
def platform(make_club, make_user, assess):
    """14 clubs: 6 in Pankow, 5 in Mitte, 2 in Spandau, 1 in Neukölln, with self-check scores."""
    clubs = []
    for district, n in (("Pankow", 6), ("Mitte", 5), ("Spandau", 2), ("Neukölln", 1)):
        for i in range(n):
            clubs.append(make_club(name=f"Geheimer Vereinsname {district} {i}", district=district))
    for i, club in enumerate(clubs[:7]):
        assess(club, score=40 + i * 5, topics={"mitglieder": 30 + i * 10})
    return clubs


def _csv_counts(body: bytes) -> list[int]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Quartal", "Tabelle", "Gruppe", "Anzahl", "Einheit"]
    return [int(row[3]) for row in rows[1:] if row[2] not in ("Hinweis",)]


def test_the_report_publishes_no_count_under_five(app, roles, platform, quarter, client_for):
    staff = client_for(roles.staff)
    data = staff.get(f"/admin/bericht.csv?quartal={quarter.key}")
    assert data.status_code == 200 and data.headers["Content-Type"].startswith("text/csv")
    counts = _csv_counts(data.data)
    assert counts and min(counts) >= MIN_CELL
    body = data.data.decode("utf-8-sig")
    # 16 clubs (with the two of ``roles``, in Pankow): Pankow 7 (+1), Mitte 5, the rest merged
    assert "Freigeschaltete Vereine nach Bezirk" in body
    assert re.search(r'"Pankow";"?8', body) or re.search(r'"Pankow";8', body)
    assert "Zusammengefasst unter „Übrige“" in body
    assert "Keine Zahl beschreibt weniger als 5 Vereine" in body
    for club in platform:  # no club, no person
        assert club.name not in body
    assert roles.board.email not in body and "Vorstand Person" not in body


def test_the_pdf_states_the_rule_and_holds_no_names(app, roles, platform, quarter, client_for):
    response = client_for(roles.staff).get(f"/admin/bericht.pdf?quartal={quarter.key}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    content = " ".join(pdf_text(response.data).split())
    assert "Keine Zahl beschreibt weniger als 5 Vereine" in content
    assert "Freigeschaltete Vereine nach Bezirk" in content and "Übrige" in content
    assert "Geheimer Vereinsname" not in content
    numbers = [int(n) for n in re.findall(r": (\d+) (?:Vereine|Konferenzen|Anmeldungen)", content)]
    assert numbers and min(numbers) >= MIN_CELL


def test_meetings_and_workshops_are_published_only_from_five_on(app, roles, platform, quarter):
    from app.meetings.models import MeetingRun
    from app.workshops.models import Registration, RegistrationStatus, Workshop

    when = max(quarter.start + timedelta(days=1), min(utcnow(), quarter.end - timedelta(days=1)))
    for club in platform[:4]:  # four clubs met: too few to publish the month
        db.session.add(MeetingRun(club_id=club.id, started_at=when))
    workshop = Workshop(
        title="Social Media im Verein",
        topic="social-media",
        starts_at=when,
        registration_deadline=when,
        created_by_id=roles.staff.id,
    )
    db.session.add(workshop)
    db.session.flush()
    for i in range(3):
        db.session.add(
            Registration(
                workshop_id=workshop.id,
                name=f"Person {i}",
                email=f"p{i}@example.org",
                status=RegistrationStatus.CONFIRMED,
            )
        )
    db.session.commit()
    built = {t.key: t for t in report.build(quarter).tables}
    assert built["meetings"].rows == [] and "weniger als 5 Vereine" in built["meetings"].note
    assert built["workshops"].rows == [] and built["workshops"].suppressed

    db.session.add(MeetingRun(club_id=platform[5].id, started_at=when))
    for i in range(3, 6):
        db.session.add(
            Registration(
                workshop_id=workshop.id,
                name=f"Person {i}",
                email=f"p{i}@example.org",
                status=RegistrationStatus.WAITING,
            )
        )
    db.session.commit()
    built = {t.key: t for t in report.build(quarter).tables}
    assert [n for _label, n in built["meetings"].rows] == [5]
    assert built["workshops"].rows == [("Social Media", 6)]


def test_only_staff_get_the_report_and_downloads_are_audited(roles, client_for, quarter):
    from app.core.audit import AuditEntry

    for path in ("/admin/bericht", "/admin/bericht.pdf", "/admin/bericht.csv"):
        assert client_for(roles.board).get(path).status_code == 403
        assert client_for(None).get(path).status_code in (302, 401)
    page = client_for(roles.staff).get(f"/admin/bericht?quartal={quarter.key}")
    assert page.status_code == 200 and "Bericht an die Verwaltung" in text(page)
    client_for(roles.staff).get(f"/admin/bericht.csv?quartal={quarter.key}")
    assert db.session.query(AuditEntry).filter_by(action="admin.report_exported").count() == 1


@pytest.mark.parametrize("value", ["2026-Q5", "Q3-2026", "1999-Q1", "2026-Q3'; drop"])
def test_a_bad_quarter_is_400(roles, client_for, value):
    response = client_for(roles.staff).get("/admin/bericht.csv", query_string={"quartal": value})
    assert response.status_code == 400 and "Bitte wählen Sie ein Quartal" in text(response)


@pytest.mark.browser
def test_report_page_is_accessible(roles, platform, quarter, live_server, page):
    from tests.browser import assert_accessible, login_in_browser
    from tests.conftest import PASSWORD

    login_in_browser(page, live_server.url, roles.staff.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/bericht?quartal={quarter.key}")
    assert_accessible(page)
    assert page.get_by_role("link", name="Als PDF herunterladen").count() == 1
