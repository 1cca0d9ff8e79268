"""Helpers for the workshops tests: workshops, the consultation schedule, a movable clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def make_workshop(app):
    from app.extensions import db
    from app.workshops.models import Workshop

    def make(title="Sicher im Netz", capacity=3, starts_in=timedelta(days=7), online=False, **extra):
        start = datetime.now(timezone.utc).replace(microsecond=0) + starts_in
        values = dict(
            title=title,
            description="Passwörter, Updates, Phishing.",
            topic="online-sicherheit",
            starts_at=start,
            duration_minutes=90,
            online=online,
            address=None if online else "Nachbarschaftshaus, Musterstraße 1, 10115 Berlin",
            capacity=capacity,
            registration_deadline=start - timedelta(hours=1),
        )
        values.update(extra)
        workshop = Workshop(**values)
        db.session.add(workshop)
        db.session.commit()
        return workshop

    return make


@pytest.fixture
def clock(monkeypatch):
    """``clock.set(aware_datetime)`` moves the clock of the workshops and the consultation hour."""
    from app.consultation import services as consultation
    from app.workshops import services

    class Clock:
        current = None

        def set(self, value):
            self.current = value
            monkeypatch.setattr(services, "now", lambda: value)
            monkeypatch.setattr(consultation, "now", lambda: value)

    return Clock()


@pytest.fixture
def make_schedule(app):
    from app.consultation.models import ConsultationSchedule
    from app.extensions import db

    def make(
        rrule="FREQ=MONTHLY;BYDAY=+3TU", starts_on=date(2026, 1, 1), start=time(17, 0), end=time(19, 0), slot_minutes=20
    ):
        schedule = ConsultationSchedule(
            rrule=rrule,
            starts_on=starts_on,
            start_time=start,
            end_time=end,
            timezone="Europe/Berlin",
            slot_minutes=slot_minutes,
        )
        db.session.add(schedule)
        db.session.commit()
        return schedule

    return make


def ics_of(msg) -> str:
    for part in msg.iter_attachments():
        if part.get_content_type() == "text/calendar":
            data = part.get_payload(decode=True)
            return data.decode()
    raise AssertionError("no calendar attachment")
