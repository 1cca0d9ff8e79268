"""Operator command: seed-demo (demo data for every domain)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.clubs.models import Club, ClubStatus, Role
from app.extensions import db
from tests.helpers import count


def user(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_seed_demo(runner):
    result = runner.invoke(args=["seed-demo", "--password", "demo-passwort-1"])
    assert result.exit_code == 0, result.output
    assert "team@vereinsraum.example" in result.output and "demo-passwort-1" in result.output
    clubs = list(db.session.scalars(sa.select(Club)))
    statuses = sorted(c.status.value for c in clubs)
    assert statuses == ["approved", "approved", "approved", "pending"]
    for club in clubs:
        roles = [m.role for m in club.memberships]
        assert Role.BOARD in roles
        if club.status is ClubStatus.APPROVED:
            assert Role.MEMBER in roles
    staff = user("team@vereinsraum.example")
    assert staff.is_staff and staff.check_password("demo-passwort-1")
    assert all(u.is_confirmed for u in db.session.scalars(sa.select(User)))
    # every printed login works
    for line in result.output.splitlines()[1:]:
        email = line.split()[0]
        assert user(email) is not None, email


def test_seed_demo_if_empty_is_idempotent(runner):
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    users, clubs = count(User), count(Club)
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "keine Demodaten angelegt" in again.output
    assert (count(User), count(Club)) == (users, clubs)
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "leere Datenbank" in refused.output
    assert (count(User), count(Club)) == (users, clubs)


def test_demo_logins_work_in_the_browserless_app(runner, client):
    runner.invoke(args=["seed-demo", "--password", "demo-passwort-1"])
    response = client.post(
        "/konto/anmelden", data={"email": "vorstand@imker-pankow.example", "password": "demo-passwort-1"}
    )
    assert response.status_code == 303
    mine = client.get("/vereine").get_data(as_text=True)
    assert "Imkerverein Pankow" in mine


def test_seed_demo_is_lived_in(runner, client, app):
    """Issue 19 item 5: a newcomer's workspace has something in every panel, and the statistics have data."""
    from datetime import date

    from app.consultation.services import next_consultation_day
    from app.core.db import utcnow
    from app.meetings import calendar
    from app.meetings.models import MeetingRun, Room, ScheduledMeeting
    from app.privacy.models import Answer, Assessment
    from app.workshops.models import Registration, Workshop

    assert runner.invoke(args=["content-sync"]).exit_code == 0
    result = runner.invoke(args=["seed-demo", "--password", "demo-passwort-1"])
    assert result.exit_code == 0, result.output
    club = db.session.scalar(sa.select(Club).where(Club.name == "Imkerverein Pankow e. V."))
    assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club.id))
    assert assessment.profile and assessment.score is not None
    assert 0.3 <= assessment.answered_count / assessment.applicable_count <= 0.7  # about half answered
    answers = list(db.session.scalars(sa.select(Answer).where(Answer.club_id == club.id)))
    assert any(a.note for a in answers) and any(a.responsible_id for a in answers)
    overdue = [a for a in answers if a.status != "yes" and a.due_date and a.due_date < date.today()]
    assert overdue
    board_meeting = db.session.scalar(sa.select(ScheduledMeeting).where(ScheduledMeeting.club_id == club.id))
    assert board_meeting.title == "Vorstandssitzung" and board_meeting.repeat == "weekly"
    upcoming = calendar.upcoming(club, limit=3)
    assert len(upcoming) == 3 and all(o.meeting.id == board_meeting.id and o.starts_at > utcnow() for o in upcoming)
    room = db.session.scalar(sa.select(Room).where(Room.club_id == club.id, Room.is_default.is_(True)))
    assert room.guest_access
    workshops = list(db.session.scalars(sa.select(Workshop).where(Workshop.starts_at > utcnow())))
    assert len(workshops) >= 2
    assert count(Registration) >= 4
    assert next_consultation_day() is not None
    assert count(MeetingRun) > 0
    # the staff statistics now draw every chart
    from app.auth.models import User
    from tests.conftest import enrol_two_factor, login

    staff = db.session.scalar(sa.select(User).where(User.email == "team@vereinsraum.example"))
    enrol_two_factor(staff)  # staff reach /admin only with a second factor (the demo's staff enrol at first visit)
    html = login(client, staff).get("/admin/statistik").get_data(as_text=True)
    assert "chart-empty" not in html and html.count('<svg role="img"') >= 5


def test_seed_demo_links_the_channel_in_the_mattermost_standin(runner, app, client):
    """With the demo stand-in (as ``make run`` starts it) the Imkerverein's own channel is linked and shows posts."""
    import threading

    from werkzeug.serving import make_server

    from app.chat.services import link_for
    from app.extensions import cache
    from app.integrations.mattermost.standin import make_standin
    from tests.chat.conftest import free_port

    port = free_port()
    standin, env = make_standin(f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, standin, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        app.config.update(env, MATTERMOST_AUTO_PROVISION=False)
        cache.clear()
        result = runner.invoke(args=["seed-demo", "--password", "demo-passwort-1"])
        assert result.exit_code == 0, result.output
        club = db.session.scalar(sa.select(Club).where(Club.name == "Imkerverein Pankow e. V."))
        link = link_for(club)
        assert link is not None and link.kind == "linked" and link.channel_name == "imker-pankow" and link.bot_can_read
        client.post("/konto/anmelden", data={"email": "ehrenamt@imker-pankow.example", "password": "demo-passwort-1"})
        panel = client.get(f"/c/{club.slug}/chat/", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Die Schleuder ist ab Samstag" in panel and "3 Personen im Kanal" in panel
    finally:
        server.shutdown()
        thread.join(timeout=5)
