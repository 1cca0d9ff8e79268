"""Calendar files (RFC 5545): one builder for meeting invitations and feeds, workshop and consultation mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar

from .db import utcnow


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime  # aware
    end: datetime
    summary: str
    description: str = ""
    location: str | None = None
    url: str | None = None
    sequence: int = 0
    cancelled: bool = False
    last_modified: datetime | None = None
    organizer: str | None = None  # an e-mail address (invitations: METHOD REQUEST or CANCEL)
    # A series: local wall times in ``tz`` (so it survives daylight saving), RRULE parts (e.g.
    # {"freq": "weekly", "interval": 2}), EXDATEs (cancelled dates) – or, for one moved date of a series,
    # its original start as ``recurrence_id``.
    tz: str | None = None
    rrule: dict | None = None
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None


def _component(event: Event) -> icalendar.Event:
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", utcnow())
    zone = ZoneInfo(event.tz) if event.tz else timezone.utc
    component.add("dtstart", event.start.astimezone(zone))
    component.add("dtend", event.end.astimezone(zone))
    if event.rrule:
        component.add("rrule", event.rrule)
    for exdate in event.exdates:
        component.add("exdate", exdate.astimezone(zone))
    if event.recurrence_id is not None:
        component.add("recurrence-id", event.recurrence_id.astimezone(zone))
    component.add("sequence", event.sequence)
    component.add("summary", event.summary)
    if event.location:
        component.add("location", event.location)
    if event.url:
        component.add("url", event.url)
    component.add("description", event.description)
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if event.last_modified is not None:
        component.add("last-modified", event.last_modified)
    if event.organizer:
        component.add("organizer", icalendar.vCalAddress(f"mailto:{event.organizer}"))
    return component


def calendar(events, *, product: str, method: str = "PUBLISH", name: str | None = None) -> bytes:
    """A VCALENDAR of ``events``; ``product`` names the sender (PRODID), ``name`` a feed (X-WR-CALNAME)."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//Vereinsraum//{product}//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(_component(event))
    if any(event.tz for event in events):
        cal.add_missing_timezones()  # VTIMEZONE for every TZID used (RFC 5545 3.6.5)
    return cal.to_ical()
