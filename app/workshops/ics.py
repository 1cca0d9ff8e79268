"""Calendar attachments (RFC 5545) for workshop and consultation e-mails."""

from __future__ import annotations

from icalendar import Calendar, Event

from ..core.db import utcnow


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Vereinsraum//Workshops und Sprechstunde//DE")
    cal.add("version", "2.0")
    cal.add("method", method)
    return cal


def _event(uid, start, end, summary, description, location, url, cancelled, sequence) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def workshop_calendar(workshop, url: str, cancelled: bool = False) -> bytes:
    cal = _calendar("CANCEL" if cancelled else "PUBLISH")
    location = workshop.address if not workshop.online else f"Online: {url}"
    description = f"{workshop.description}\n\n{url}".strip()
    sequence = 1 if cancelled else 0
    cal.add_component(_event(f"workshop-{workshop.id}@vereinsraum", workshop.starts_at, workshop.ends_at,
                             f"Workshop: {workshop.title}", description, location, url, cancelled, sequence))
    return cal.to_ical()


def booking_calendar(booking, url: str, cancelled: bool = False) -> bytes:
    cal = _calendar("CANCEL" if cancelled else "PUBLISH")
    description = f"Thema: {booking.topic_label}\n{booking.question}\n\n{url}".strip()
    cal.add_component(_event(f"sprechstunde-{booking.id}@vereinsraum", booking.starts_at, booking.ends_at,
                             "Digitale Sprechstunde", description, f"Online: {url}", url, cancelled,
                             1 if cancelled else 0))
    return cal.to_ical()
