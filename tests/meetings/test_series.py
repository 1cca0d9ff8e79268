"""Recurring meetings (issue 19 item 3): weekly, every two weeks, monthly by weekday, in Europe/Berlin wall
time across the daylight-saving changes; single dates cancelled (EXDATE) or moved (RECURRENCE-ID); SEQUENCE;
the private feed shows the series."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from app.extensions import db
from app.meetings import calendar as cal

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def series(meetings):
    def make(starts_at, repeat, until=None, title="Vorstandssitzung"):
        return cal.schedule(
            meetings.club,
            room=meetings.room,
            title=title,
            starts_at=starts_at,
            duration_minutes=90,
            agenda=None,
            by=meetings.roles.board,
            notify=False,
            repeat=repeat,
            repeat_until=until,
        )

    return make


def local_times(occurrences):
    return [o.starts_at.astimezone(BERLIN).strftime("%a %d.%m. %H:%M") for o in occurrences]


def test_weekly_series_keeps_its_local_time_across_the_spring_change(series):
    meeting = series(berlin(2027, 3, 18, 19, 0), "weekly")  # DST starts Sunday 28.03.2027
    dates = cal.occurrences(meeting, berlin(2027, 3, 1), berlin(2027, 4, 9))
    assert local_times(dates) == ["Thu 18.03. 19:00", "Thu 25.03. 19:00", "Thu 01.04. 19:00", "Thu 08.04. 19:00"]
    assert [o.starts_at.hour for o in dates] == [18, 18, 17, 17]  # UTC moves, the wall clock does not


def test_biweekly_series_across_the_autumn_change_with_an_end_date(series):
    meeting = series(berlin(2026, 10, 13, 18, 30), "biweekly", until=date(2026, 11, 24))  # DST ends 25.10.2026
    dates = cal.occurrences(meeting, berlin(2026, 10, 1), berlin(2027, 1, 1))
    assert local_times(dates) == ["Tue 13.10. 18:30", "Tue 27.10. 18:30", "Tue 10.11. 18:30", "Tue 24.11. 18:30"]


def test_monthly_by_weekday_second_thursday_and_fifth_means_last(series):
    second = series(berlin(2027, 1, 14, 19, 0), "monthly")  # the 2nd Thursday
    dates = cal.occurrences(second, berlin(2027, 1, 1), berlin(2027, 5, 1))
    assert local_times(dates) == ["Thu 14.01. 19:00", "Thu 11.02. 19:00", "Thu 11.03. 19:00", "Thu 08.04. 19:00"]
    fifth = series(berlin(2026, 12, 31, 10, 0), "monthly", title="Kassenprüfung")  # 5th Thursday = the last
    dates = cal.occurrences(fifth, berlin(2026, 12, 1), berlin(2027, 3, 1))
    assert local_times(dates) == ["Thu 31.12. 10:00", "Thu 28.01. 10:00", "Thu 25.02. 10:00"]


def events_of(ics_bytes):
    return [c for c in icalendar.Calendar.from_ical(ics_bytes).walk("VEVENT")]


def expand(master, until):
    """What a calendar program makes of the master VEVENT (dateutil, from the ICS text alone)."""
    start = master.decoded("dtstart")
    rule = rrulestr(master["rrule"].to_ical().decode(), dtstart=start)
    excluded = set()
    for exdate in (
        master.get("exdate")
        and ([master["exdate"]] if not isinstance(master["exdate"], list) else master["exdate"])
        or []
    ):
        excluded |= {d.dt for d in exdate.dts}
    return [d for d in rule.between(start, until, inc=True) if d not in excluded]


def test_ics_series_matches_our_dates_with_exdate_recurrence_id_and_sequence(series, meetings):
    meeting = series(berlin(2027, 3, 11, 19, 0), "weekly", until=date(2027, 4, 15))
    before = meeting.sequence
    cancelled, moved = cal.occurrences(meeting, berlin(2027, 3, 1), berlin(2027, 5, 1))[1:3]
    cal.change_occurrence(meeting, cancelled.key, by=meetings.roles.board, notify=False)
    cal.change_occurrence(
        meeting, moved.key, by=meetings.roles.board, notify=False, new_start=berlin(2027, 3, 26, 18, 0)
    )
    assert meeting.sequence == before + 2
    raw = cal.calendar_for([meeting])
    text = raw.decode()
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Berlin" in text
    assert "DTSTART;TZID=Europe/Berlin:20270311T190000" in text
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270415T215959Z;INTERVAL=1" in text
    assert "EXDATE;TZID=Europe/Berlin:20270318T190000" in text
    master, override = events_of(raw)
    assert override["uid"] == master["uid"] and override["sequence"] == master["sequence"] == before + 2
    assert override.decoded("recurrence-id") == moved.original_start.astimezone(BERLIN)
    assert override.decoded("dtstart") == berlin(2027, 3, 26, 18, 0).astimezone(BERLIN)
    # a calendar program expands the master to exactly our uncancelled original dates (DST on 28.03.)
    ours = [o.original_start for o in cal.occurrences(meeting, berlin(2027, 3, 1), berlin(2027, 5, 1)) if not o.moved]
    theirs = [d.astimezone(timezone.utc) for d in expand(master, datetime(2027, 5, 1, tzinfo=BERLIN))]
    assert sorted(set(theirs) - {moved.original_start}) == sorted(ours)
    assert local_times(cal.occurrences(meeting, berlin(2027, 3, 1), berlin(2027, 5, 1)))[:3] == [
        "Thu 11.03. 19:00",
        "Fri 26.03. 18:00",
        "Thu 01.04. 19:00",
    ]


def test_monthly_rule_in_the_ics(series):
    meeting = series(berlin(2027, 1, 14, 19, 0), "monthly")
    assert "RRULE:FREQ=MONTHLY;BYDAY=2TH" in cal.calendar_for([meeting]).decode()


def test_board_cancels_and_moves_single_dates_members_may_not(series, meetings, mailbox):
    meeting = series(berlin(2031, 3, 20, 19, 0), "weekly")
    first, second = cal.occurrences(meeting, berlin(2031, 3, 1), berlin(2031, 4, 1))[:2]
    page = meetings.member.get(f"{meetings.base}/termine/{meeting.id}").get_data(as_text=True)
    assert 'id="repeat"' in page and "jede Woche" in page and "Nur diesen Termin absagen" not in page
    url = f"{meetings.base}/termine/{meeting.id}/datum/{first.key}"
    assert meetings.member.post(url + "/absagen").status_code == 403
    assert (
        meetings.board.post(f"{meetings.base}/termine/{meeting.id}/datum/{first.key + 60}/absagen").status_code == 404
    )
    assert meetings.board.post(url + "/absagen", data={"notify": "y"}).status_code == 303
    db.session.refresh(meeting)
    assert meeting.sequence == 1
    moved = meetings.board.post(
        f"{meetings.base}/termine/{meeting.id}/datum/{second.key}/verschieben",
        data={"starts_at": "2031-03-28T18:00", "notify": ""},
    )
    assert moved.status_code == 303
    page = meetings.board.get(f"{meetings.base}/termine/{meeting.id}").get_data(as_text=True)
    assert "abgesagt" in page and "verschoben" in page
    ics = meetings.member.get(f"{meetings.base}/termine/{meeting.id}/termin.ics").get_data(as_text=True)
    assert "EXDATE;TZID=Europe/Berlin:20310320T190000" in ics
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20310327T190000" in ics and "SEQUENCE:2" in ics
    bad = meetings.board.post(
        f"{meetings.base}/termine/{meeting.id}/datum/{cal.occurrences(meeting, berlin(2031, 4, 1), berlin(2031, 5, 1))[0].key}/verschieben",
        data={"starts_at": "kein Datum"},
    )
    assert bad.status_code == 422


def test_another_clubs_series_dates_are_not_found(series, meetings, client_for):
    meeting = series(berlin(2031, 3, 20, 19, 0), "weekly")
    key = cal.occurrences(meeting, berlin(2031, 3, 1), berlin(2031, 4, 1))[0].key
    outsider = client_for(meetings.roles.outsider)
    other = meetings.roles.other_club.slug
    assert outsider.post(f"/c/{other}/konferenzen/termine/{meeting.id}/datum/{key}/absagen").status_code == 404


def test_private_feed_shows_a_series_that_began_long_ago(series, meetings):
    meeting = series(berlin(2025, 1, 9, 19, 0), "weekly", title="Alte Serie")
    feed = cal.feed_for(meetings.club)
    ics = meetings.anon.get(f"{meetings.base}/kalender/{feed.token}.ics").get_data(as_text=True)
    assert "Alte Serie" in ics and "RRULE:FREQ=WEEKLY" in ics
    upcoming = cal.upcoming(meetings.club, limit=2)
    assert [o.meeting.id for o in upcoming] == [meeting.id, meeting.id]
    assert all(o.starts_at > datetime.now(timezone.utc) for o in upcoming)
    assert all(o.starts_at.astimezone(BERLIN).hour == 19 for o in upcoming)
