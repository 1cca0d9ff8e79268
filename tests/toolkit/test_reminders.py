"""Reminder mails before a request's deadline and while a breach's 72-hour clock runs: once per reminder."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from app.core.db import utcnow
from app.core.i18n import local_tz
from app.extensions import db
from app.toolkit import services
from app.toolkit.models import Breach


def _noon(day):
    """Noon of a Berlin calendar day as aware UTC."""
    return datetime.combine(day, time(12, 0), tzinfo=local_tz()).astimezone(timezone.utc)


def _request(roles, received):
    return services.log_request(
        roles.club, kind="access", received_on=received, channel="email", note="", by=roles.board
    )


def test_request_reminders_go_to_the_board_once_per_stage(app, roles, mailbox):
    today = services.today()
    item = _request(roles, today - timedelta(days=10))
    due = item.due_on
    assert services.send_due_reminders(at=_noon(due - timedelta(days=8))) == 0  # more than 7 days left
    assert services.send_due_reminders(at=_noon(due - timedelta(days=7))) == 1
    mails = mailbox.to(roles.board.email)
    assert len(mails) == 1 and "Frist läuft ab" in mails[0]["Subject"]
    body = mailbox.body(mails[0])
    assert (
        due.strftime("%d.%m.%Y") in body
        and f"http://localhost/c/{roles.club.slug}/werkzeuge/anfragen/{item.id}" in body
    )
    assert mailbox.to(roles.member.email) == []  # the board only
    assert services.send_due_reminders(at=_noon(due - timedelta(days=6))) == 0  # once per reminder
    assert services.send_due_reminders(at=_noon(due - timedelta(days=2))) == 1  # the second, last reminder
    assert services.send_due_reminders(at=_noon(due - timedelta(days=1))) == 0
    assert services.send_due_reminders(at=_noon(due + timedelta(days=3))) == 0
    assert len(mailbox.to(roles.board.email)) == 2


def test_an_extension_gives_new_reminders(app, roles, mailbox, client_for):
    today = services.today()
    item = _request(roles, today - timedelta(days=28))
    assert services.send_due_reminders() == 1  # the deadline is a few days away
    services.extend_request(item, months=1, reason="Viele Unterlagen", by=roles.board)
    assert services.send_due_reminders() == 0  # the new deadline is a month away
    assert services.send_due_reminders(at=_noon(item.due_on - timedelta(days=5))) == 1


def test_closed_requests_and_inactive_clubs_get_no_reminder(app, roles, mailbox):
    from app.clubs.models import ClubStatus
    from app.clubs.services import change_status

    item = _request(roles, services.today() - timedelta(days=28))
    services.close_request(item, closed_on=services.today(), outcome="Auskunft verschickt", by=roles.board)
    other = services.log_request(
        roles.other_club,
        kind="access",
        received_on=services.today() - timedelta(days=28),
        channel="email",
        note="",
        by=roles.outsider,
    )
    change_status(roles.other_club, ClubStatus.SUSPENDED, by=None, reason="Test", notify=False)
    assert services.send_due_reminders() == 0
    assert other.reminded_stage == 0 and mailbox.messages == []


def test_a_failed_mail_is_tried_again_next_run(app, app_config, roles, mailbox, make_app):
    item = _request(roles, services.today() - timedelta(days=28))
    app.config["MAIL_PORT"] = 1  # nothing listens there
    assert services.send_due_reminders() == 0
    db.session.refresh(item)
    assert item.reminded_stage == 0
    app.config["MAIL_PORT"] = app_config["MAIL_PORT"]
    assert services.send_due_reminders() == 1


def _breach(roles, discovered_at, **answers):
    values = dict(facts="Offener Verteiler", data_kinds="E-Mail-Adressen", affected_count=80, sensitive=False)
    values.update({"risk": "yes", "high_risk": "no", **answers})
    return services.log_breach(roles.club, discovered_at=discovered_at, by=roles.board, **values)


def test_breach_reminders_while_the_clock_runs(app, roles, mailbox):
    start = utcnow() - timedelta(hours=1)
    item = _breach(roles, start)
    assert services.send_due_reminders(at=start + timedelta(hours=2)) == 0  # 70 hours left
    assert services.send_due_reminders(at=start + timedelta(hours=25)) == 1  # 47 hours left
    assert "noch 47 Stunden" in mailbox.messages[-1]["Subject"]
    assert services.send_due_reminders(at=start + timedelta(hours=30)) == 0
    assert services.send_due_reminders(at=start + timedelta(hours=49)) == 1  # 23 hours left
    services.mark_notified(item, "authority", by=roles.board)
    assert services.send_due_reminders(at=start + timedelta(hours=67)) == 0  # reported: the clock stopped
    assert len(mailbox.to(roles.board.email)) == 2


def test_no_breach_reminder_when_no_notification_is_needed(app, roles, mailbox):
    start = utcnow() - timedelta(hours=1)
    _breach(roles, start, risk="no", high_risk="no")
    assert services.send_due_reminders(at=start + timedelta(hours=70)) == 0
    assert db.session.query(Breach).one().reminded_stage == 0


def test_one_failing_reminder_is_logged_and_retried_and_the_others_go_out(app, roles, mailbox, monkeypatch, caplog):
    """Issue 12 item 10: a failing request or breach neither stops the run nor loses its reminder."""
    import logging

    received = services.today() - timedelta(days=28)
    broken_request, good_request = _request(roles, received), _request(roles, received)
    start = utcnow() - timedelta(hours=25)
    broken_breach, good_breach = _breach(roles, start), _breach(roles, start)
    broken = {("request_id", broken_request.id), ("breach_id", broken_breach.id)}
    real = services.external_url

    def flaky(endpoint, **values):
        if broken & set(values.items()):
            raise RuntimeError("kaputt")
        return real(endpoint, **values)

    monkeypatch.setattr(services, "external_url", flaky)
    with caplog.at_level(logging.ERROR):
        assert services.send_due_reminders() == 2  # one request, one breach
    bodies = [mailbox.body(m) for m in mailbox.to(roles.board.email)]
    assert any(f"/anfragen/{good_request.id}" in b for b in bodies)
    assert any(f"/pannen/{good_breach.id}" in b for b in bodies)
    assert f"toolkit reminder for request {broken_request.id}" in caplog.text
    assert f"toolkit reminder for breach {broken_breach.id}" in caplog.text and "kaputt" in caplog.text
    for item in (broken_request, good_request, broken_breach, good_breach):
        db.session.refresh(item)
    assert (broken_request.reminded_stage, broken_breach.reminded_stage) == (0, 0)
    assert good_request.reminded_stage > 0 and good_breach.reminded_stage > 0

    monkeypatch.setattr(services, "external_url", real)
    assert services.send_due_reminders() == 2  # the two that failed, and only those
    bodies = [mailbox.body(m) for m in mailbox.to(roles.board.email)]
    assert len(bodies) == 4
    assert any(f"/anfragen/{broken_request.id}" in b for b in bodies[2:])
    assert any(f"/pannen/{broken_breach.id}" in b for b in bodies[2:])
    assert services.send_due_reminders() == 0
