"""Data-subject requests (issue 18, item 3): log, deadline, extension, closing, bad input, retention."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.toolkit import services
from app.toolkit.models import SubjectRequest, add_months


def _count():
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(SubjectRequest))


def _log(board, base, **overrides):
    data = {"kind": "access", "received_on": services.today().isoformat(), "channel": "email", "note": "Mitglied"}
    data.update(overrides)
    return board.post(f"{base}/anfragen/", data=data)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
    ],
)
def test_a_month_ends_on_the_same_day_or_the_months_last_day(start, months, end):
    assert add_months(start, months) == end


def test_board_logs_a_request_and_sees_its_deadline(app, roles, board, base):
    received = services.today() - timedelta(days=3)
    response = _log(board, base, received_on=received.isoformat(), kind="erasure", channel="letter")
    assert response.status_code == 303
    item = db.session.scalars(sa.select(SubjectRequest)).one()
    assert item.club_id == roles.club.id and item.created_by_id == roles.board.id
    assert item.due_on == add_months(received, 1)
    page = board.get(response.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Löschung" in body and "Art. 17" in body
    assert f"noch {(item.due_on - services.today()).days} Tage" in body
    # the answer templates of the guide for an erasure request, and the rights chapter
    assert "/leitfaden/vorlagen/loeschprotokoll" in body and "/leitfaden/auskunft" in body
    listing = board.get(f"{base}/anfragen/").get_data(as_text=True)
    assert f"{base}/anfragen/{item.id}" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"received_on": (date.today() + timedelta(days=2)).isoformat()}, "nicht in der Zukunft"),
        ({"received_on": ""}, "Bitte geben Sie das Eingangsdatum an."),
        ({"received_on": "31.02.2026"}, "Kein gültiges Datum."),
        ({"kind": "complaint"}, "Art der Anfrage"),
        ({"channel": "pigeon"}, "Wie kam die Anfrage?"),
        ({"note": "<script>alert(1)</script>"}, "keinen HTML-Code"),
        ({"note": "Mitglied <b>Schwimmen</b>"}, "keinen HTML-Code"),
        ({"note": "x" * 501}, "höchstens 500 Zeichen"),
    ],
)
def test_bad_request_input_is_refused_and_nothing_written(app, board, base, overrides, message):
    response = _log(board, base, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_a_member_cannot_see_or_log_requests(app, roles, client_for, base):
    member = client_for(roles.member)
    assert member.get(f"{base}/anfragen/").status_code == 403
    assert _log(member, base).status_code == 403
    assert _count() == 0


def test_another_clubs_request_is_not_found_under_its_own_slug(app, roles, client_for, base):
    """Match by id within the club: the other club's board uses its own slug with our request's id."""
    item = services.log_request(
        roles.club, kind="access", received_on=services.today(), channel="email", note="geheim", by=roles.board
    )
    other = client_for(roles.outsider)
    other_base = f"/c/{roles.other_club.slug}/werkzeuge"
    assert other.get(f"{other_base}/anfragen/{item.id}").status_code == 404
    data = {"months": "1", "reason": "Sehr viele Unterlagen", "closed_on": services.today().isoformat(), "outcome": "x"}
    assert other.post(f"{other_base}/anfragen/{item.id}/verlaengern", data=data).status_code == 404
    assert other.post(f"{other_base}/anfragen/{item.id}/abschliessen", data=data).status_code == 404
    assert "geheim" not in other.get(f"{other_base}/anfragen/").get_data(as_text=True)
    db.session.refresh(item)
    assert item.extended_months == 0 and item.closed_on is None


def test_extension_by_up_to_two_months_with_a_reason(app, roles, board, base):
    received = services.today() - timedelta(days=5)
    item = services.log_request(
        roles.club, kind="access", received_on=received, channel="email", note="", by=roles.board
    )
    url = f"{base}/anfragen/{item.id}/verlaengern"
    refused = board.post(url, data={"months": "1", "reason": ""})
    assert refused.status_code == 422 and "Bitte begründen Sie die Verlängerung." in refused.get_data(as_text=True)
    assert board.post(url, data={"months": "2", "reason": "Sehr viele Unterlagen im Archiv"}).status_code == 303
    db.session.refresh(item)
    assert item.extended_months == 2 and item.due_on == add_months(received, 3)
    again = board.post(url, data={"months": "1", "reason": "Noch mehr Unterlagen im Archiv"})
    assert again.status_code == 422 and "höchstens zwei Monate" in again.get_data(as_text=True)
    db.session.refresh(item)
    assert item.extended_months == 2 and item.extension_reason == "Sehr viele Unterlagen im Archiv"


def test_no_extension_once_the_deadline_has_passed(app, roles, board, base):
    received = services.today() - timedelta(days=40)
    item = services.log_request(
        roles.club, kind="access", received_on=received, channel="email", note="", by=roles.board
    )
    response = board.post(f"{base}/anfragen/{item.id}/verlaengern", data={"months": "1", "reason": "Zu spät bemerkt"})
    assert response.status_code == 422 and "bereits abgelaufen" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.extended_months == 0 and item.due_on == add_months(received, 1)


@pytest.mark.parametrize(
    ("closed_on", "outcome", "message"),
    [
        (date.today() + timedelta(days=3), "Auskunft verschickt", "nicht in der Zukunft"),
        (date.today() - timedelta(days=30), "Auskunft verschickt", "nicht vor ihrem Eingang"),
        (date.today(), "", "Bitte beschreiben Sie kurz"),
        (date.today(), "<img src=x onerror=alert(1)>", "keinen HTML-Code"),
    ],
)
def test_bad_closing_input_is_refused(app, roles, board, base, closed_on, outcome, message):
    item = services.log_request(
        roles.club,
        kind="access",
        received_on=services.today() - timedelta(days=2),
        channel="email",
        note="",
        by=roles.board,
    )
    response = board.post(
        f"{base}/anfragen/{item.id}/abschliessen", data={"closed_on": closed_on.isoformat(), "outcome": outcome}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.closed_on is None and item.outcome is None


def test_closing_records_what_was_done_and_when(app, roles, board, base):
    item = services.log_request(
        roles.club,
        kind="objection",
        received_on=services.today() - timedelta(days=2),
        channel="phone",
        note="",
        by=roles.board,
    )
    done = services.today() - timedelta(days=1)
    response = board.post(
        f"{base}/anfragen/{item.id}/abschliessen",
        data={"closed_on": done.isoformat(), "outcome": "Foto von der Website genommen"},
    )
    assert response.status_code == 303
    db.session.refresh(item)
    assert item.closed_on == done and item.outcome == "Foto von der Website genommen"
    assert item.closed_by_id == roles.board.id
    body = board.get(f"{base}/anfragen/{item.id}").get_data(as_text=True)
    assert "Foto von der Website genommen" in body and "Frist verlängern" not in body
    assert (
        board.post(
            f"{base}/anfragen/{item.id}/abschliessen", data={"closed_on": done.isoformat(), "outcome": "x"}
        ).status_code
        == 422
    )


def test_closed_requests_are_deleted_after_the_retention_period(app, roles, runner):
    today = services.today()
    days = app.config["TOOLKIT_REQUEST_RETENTION_DAYS"]
    assert days == 3 * 365

    def closed(days_ago):
        item = services.log_request(
            roles.club,
            kind="access",
            received_on=today - timedelta(days=days_ago + 10),
            channel="email",
            note="",
            by=roles.board,
        )
        item.closed_on = today - timedelta(days=days_ago)
        db.session.commit()
        return item.id

    old, recent = closed(days + 1), closed(days - 1)
    still_open = services.log_request(
        roles.club,
        kind="access",
        received_on=today - timedelta(days=days + 50),
        channel="email",
        note="",
        by=roles.board,
    ).id
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert db.session.get(SubjectRequest, old) is not None
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(SubjectRequest, old) is None
    assert db.session.get(SubjectRequest, recent) is not None and db.session.get(SubjectRequest, still_open) is not None


def test_retention_period_is_a_setting(app_config, make_app, roles):
    app_config["TOOLKIT_REQUEST_RETENTION_DAYS"] = 10
    other = make_app(app_config)
    with other.app_context():
        item = services.log_request(
            db.session.merge(roles.club),
            kind="access",
            received_on=services.today() - timedelta(days=20),
            channel="email",
            note="",
            by=db.session.merge(roles.board),
        )
        item.closed_on = services.today() - timedelta(days=11)
        db.session.commit()
        assert services.purge_closed_requests() == 1


def test_staff_see_counts_only(app, roles, client_for, base):
    item = services.log_request(
        roles.club,
        kind="access",
        received_on=services.today() - timedelta(days=40),
        channel="email",
        note="Notiz",
        by=roles.board,
    )
    assert services.request_counts() == {"open": 1, "closed": 0, "overdue": 1, "breaches": 0}
    staff = client_for(roles.staff)
    assert staff.get(f"{base}/anfragen/").status_code == 404
    assert staff.get(f"{base}/anfragen/{item.id}").status_code == 404


def test_staff_statistics_show_the_counts(app, roles, client_for):
    services.log_request(
        roles.club,
        kind="access",
        received_on=services.today() - timedelta(days=40),
        channel="email",
        note="Notiz-7f3",
        by=roles.board,
    )
    app.config["ADMIN_STATS_CACHE_SECONDS"] = 0
    body = client_for(roles.staff).get("/admin/statistik").get_data(as_text=True)
    assert 'id="toolkit-counts"' in body and "Notiz-7f3" not in body
    csv = client_for(roles.staff).get("/admin/statistik.csv").get_data(as_text=True)
    assert '"datenschutz_werkzeuge","open","1"' in csv and '"datenschutz_werkzeuge","overdue","1"' in csv


def test_the_pages_speak_english_too(app, roles, board, base):
    with board.session_transaction() as session:
        session["lang"] = "en"
    body = board.get(f"{base}/anfragen/").get_data(as_text=True)
    assert "Data subject requests" in body and "Type of request" in body and "What does this mean?" in body
    assert "Report a data breach" in board.get(f"{base}/pannen/").get_data(as_text=True)
