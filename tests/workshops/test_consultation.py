from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.consultation import services
from app.consultation.models import ConsultationBooking, QueueEntry
from app.core.tokens import cancel_token
from app.extensions import db
from tests.conftest import HX

from .conftest import BERLIN, berlin, ics_of

UTC = timezone.utc


def test_third_tuesday_keeps_local_time_across_dst(app, make_schedule):
    schedule = make_schedule()
    found = services.occurrences(schedule, berlin(2026, 2, 1), berlin(2026, 12, 1))
    assert [o.day for o in found] == [
        date(2026, m, d)
        for m, d in ((2, 17), (3, 17), (4, 21), (5, 19), (6, 16), (7, 21), (8, 18), (9, 15), (10, 20), (11, 17))
    ]
    for occurrence in found:
        assert occurrence.starts_at.astimezone(BERLIN).time() == time(17, 0)
        assert occurrence.ends_at.astimezone(BERLIN).time() == time(19, 0)
    by_day = {o.day: o for o in found}
    # Winter time (UTC+1) before 29 March and after 25 October, summer time (UTC+2) in between.
    assert by_day[date(2026, 3, 17)].starts_at == datetime(2026, 3, 17, 16, 0, tzinfo=UTC)
    assert by_day[date(2026, 4, 21)].starts_at == datetime(2026, 4, 21, 15, 0, tzinfo=UTC)
    assert by_day[date(2026, 10, 20)].starts_at == datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    assert by_day[date(2026, 11, 17)].starts_at == datetime(2026, 11, 17, 16, 0, tzinfo=UTC)


def test_slots_on_the_days_the_clocks_change(app, make_schedule):
    schedule = make_schedule(rrule="FREQ=WEEKLY;BYDAY=SU", starts_on=date(2026, 3, 22))
    found = services.occurrences(schedule, berlin(2026, 3, 28), berlin(2026, 3, 30))
    [dst_day] = found
    assert dst_day.day == date(2026, 3, 29)
    slots = services.slot_times(schedule, dst_day)
    assert [s.astimezone(BERLIN).strftime("%H:%M") for s in slots] == [
        "17:00",
        "17:20",
        "17:40",
        "18:00",
        "18:20",
        "18:40",
    ]
    assert slots[0] == datetime(2026, 3, 29, 15, 0, tzinfo=UTC)
    [back] = services.occurrences(schedule, berlin(2026, 10, 24), berlin(2026, 10, 26))
    assert back.day == date(2026, 10, 25)
    assert back.starts_at == datetime(2026, 10, 25, 16, 0, tzinfo=UTC)


def test_invalid_rule_is_a_clear_error(app, roles, client_for):
    response = client_for(roles.staff).post(
        "/admin/workshops/sprechstunde",
        data={
            "rrule": "FREQ=SOMETIMES",
            "starts_on": "2026-01-01",
            "start_time": "17:00",
            "end_time": "19:00",
            "slot_minutes": "20",
        },
    )
    assert response.status_code == 422
    assert "Wiederholungsregel ist ungültig" in response.get_data(as_text=True)


def test_staff_saves_schedule_and_exceptions(roles, client_for, clock):
    clock.set(berlin(2026, 3, 1, 12))
    staff = client_for(roles.staff)
    response = staff.post(
        "/admin/workshops/sprechstunde",
        data={
            "rrule": "FREQ=MONTHLY;BYDAY=+3TU",
            "starts_on": "2026-01-01",
            "start_time": "17:00",
            "end_time": "19:00",
            "slot_minutes": "20",
            "note": "Bitte mit Kopfhörern.",
        },
    )
    assert response.status_code == 303
    assert services.current_schedule() is not None
    assert services.next_consultation_day().day == date(2026, 3, 17)
    assert (
        staff.post(
            "/admin/workshops/sprechstunde/ausnahmen", data={"day": "2026-03-17", "reason": "Feiertag"}
        ).status_code
        == 303
    )
    assert services.next_consultation_day().day == date(2026, 4, 21)
    page = client_for(None).get("/sprechstunde").get_data(as_text=True)
    assert "fällt aus" in page and "Feiertag" in page and "Bitte mit Kopfhörern." in page


def _book(client, slot, question="Wie richten wir eine Videokonferenz ein?", topic="videokonferenz-chat"):
    return client.post("/sprechstunde/buchen", data={"slot": slot.isoformat(), "topic": topic, "question": question})


def test_booking_a_slot_sends_confirmation_with_ics(roles, client_for, make_schedule, clock, mailbox):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    member = client_for(roles.member)
    page = member.get("/sprechstunde").get_data(as_text=True)
    slot = datetime(2026, 3, 17, 16, 20, tzinfo=UTC)  # 17:20 Berlin
    assert f'value="{slot.isoformat()}"' in page
    assert _book(member, slot).status_code == 303
    booking = db.session.scalar(sa.select(ConsultationBooking))
    assert booking.starts_at == slot and booking.email == roles.member.email
    [msg] = mailbox.to(roles.member.email)
    assert "bestätigt" in msg["Subject"]
    body = mailbox.body(msg)
    assert "17:20–17:40 Uhr" in body and "Dienstag, 17. März 2026" in body
    [event] = Calendar.from_ical(ics_of(msg)).walk("VEVENT")
    assert event.decoded("dtstart") == slot
    assert event.decoded("dtend") == slot + timedelta(minutes=20)
    assert str(event["summary"]) == "Digitale Sprechstunde"
    # The slot is no longer offered.
    assert f'value="{slot.isoformat()}"' not in client_for(roles.board).get("/sprechstunde").get_data(as_text=True)


def test_slot_cannot_be_booked_twice_or_off_grid(roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    slot = datetime(2026, 3, 17, 16, 0, tzinfo=UTC)
    assert _book(client_for(roles.member), slot).status_code == 303
    taken = _book(client_for(roles.board), slot)
    assert taken.status_code == 409 and "vergeben" in taken.get_data(as_text=True)
    second_same_day = _book(client_for(roles.member), slot + timedelta(minutes=20))
    assert second_same_day.status_code == 409
    off_grid = _book(client_for(roles.board), slot + timedelta(minutes=7))
    assert off_grid.status_code == 409
    empty = client_for(roles.board).post("/sprechstunde/buchen", data={"slot": "", "question": ""})
    assert empty.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationBooking)) == 1


def test_cancel_booking_by_link_and_exception_cancels_with_mail(
    roles, client, client_for, make_schedule, clock, mailbox
):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    _book(client_for(roles.member), datetime(2026, 3, 17, 16, 0, tzinfo=UTC))
    _book(client_for(roles.board), datetime(2026, 4, 21, 15, 0, tzinfo=UTC))
    member_booking, board_booking = db.session.scalars(
        sa.select(ConsultationBooking).order_by(ConsultationBooking.id)
    ).all()
    link = "/sprechstunde/absagen/" + cancel_token("consultation", member_booking)
    assert link in mailbox.body(mailbox.to(roles.member.email)[0])
    mailbox.clear()
    assert client.get(link).status_code == 200 and member_booking.cancelled_at is None
    assert client.post(link).status_code == 200
    db.session.refresh(member_booking)
    assert member_booking.cancelled_at is not None and member_booking.slot_at is None
    [cancel_mail] = mailbox.to(roles.member.email)
    assert "abgesagt" in cancel_mail["Subject"] and "METHOD:CANCEL" in ics_of(cancel_mail)

    services.add_exception(date(2026, 4, 21), "Team-Fortbildung", by=roles.staff)
    db.session.refresh(board_booking)
    assert board_booking.cancelled_at is not None
    [exception_mail] = mailbox.to(roles.board.email)[-1:]
    assert "Team-Fortbildung" in mailbox.body(exception_mail)
    # The freed slot can be booked again after a cancellation.
    assert _book(client_for(roles.outsider), datetime(2026, 3, 17, 16, 0, tzinfo=UTC)).status_code == 303


def test_reminders_are_sent_once(roles, client_for, make_schedule, clock, mailbox):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    _book(client_for(roles.member), datetime(2026, 3, 17, 16, 0, tzinfo=UTC))
    mailbox.clear()
    assert services.send_due_mails(berlin(2026, 3, 15, 12))["consultation_reminders"] == 0
    assert services.send_due_mails(berlin(2026, 3, 16, 18))["consultation_reminders"] == 1
    assert services.send_due_mails(berlin(2026, 3, 16, 19))["consultation_reminders"] == 0
    [reminder] = mailbox.to(roles.member.email)
    assert "Erinnerung" in reminder["Subject"] and "BEGIN:VEVENT" in ics_of(reminder)


# --- same-day queue -----------------------------------------------------------------------------


def test_queue_positions_admit_next_and_live_polling(bbb_standin, roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 17, 17, 5))
    member, board, staff = client_for(roles.member), client_for(roles.board), client_for(roles.staff)
    assert (
        member.post(
            "/sprechstunde/warteschlange",
            data={"queue-topic": "datenschutz", "queue-question": "Fotos auf der Website?"},
        ).status_code
        == 303
    )
    clock.set(berlin(2026, 3, 17, 17, 6))
    response = board.post("/sprechstunde/warteschlange", data={"queue-topic": "open-source", "queue-question": ""})
    assert response.status_code == 303
    first, second = db.session.scalars(sa.select(QueueEntry).order_by(QueueEntry.id)).all()
    page = board.get(f"/sprechstunde/warteschlange/{second.id}").get_data(as_text=True)
    assert 'hx-trigger="every 5s"' in page and "Vor Ihnen warten noch 1 Personen" in page
    assert member.get(f"/sprechstunde/warteschlange/{second.id}").status_code == 404
    assert board.get(f"/sprechstunde/warteschlange/{second.id}/beitreten").status_code == 403

    queue = staff.get("/admin/workshops/sprechstunde/warteschlange").get_data(as_text=True)
    assert "Fotos auf der Website?" in queue and "Moritz Mitglied" in queue
    assert staff.post("/admin/workshops/sprechstunde/warteschlange/weiter").status_code == 303
    db.session.refresh(first)
    assert first.status == "admitted"

    poll = member.get(f"/sprechstunde/warteschlange/{first.id}", headers=HX)
    assert poll.status_code == 286
    assert poll.headers["HX-Redirect"] == f"/sprechstunde/warteschlange/{first.id}/beitreten"
    waiting_poll = board.get(f"/sprechstunde/warteschlange/{second.id}", headers=HX)
    assert waiting_poll.status_code == 200 and "<html" not in waiting_poll.get_data(as_text=True)
    assert "als Nächstes an der Reihe" in waiting_poll.get_data(as_text=True)
    join = member.get(f"/sprechstunde/warteschlange/{first.id}/beitreten")
    assert join.status_code == 303 and join.headers["Location"].startswith(bbb_standin.api_url + "join?")
    assert bbb_standin.state.calls_of("create")

    staff.post("/admin/workshops/sprechstunde/warteschlange/weiter")
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == ("done", "admitted")


def test_booked_person_goes_ahead_of_later_walk_ins(roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    _book(client_for(roles.board), datetime(2026, 3, 17, 16, 20, tzinfo=UTC))  # 17:20
    clock.set(berlin(2026, 3, 17, 17, 5))
    client_for(roles.member).post(
        "/sprechstunde/warteschlange", data={"queue-topic": "sonstiges", "queue-question": ""}
    )
    clock.set(berlin(2026, 3, 17, 17, 25))
    client_for(roles.outsider).post(
        "/sprechstunde/warteschlange", data={"queue-topic": "sonstiges", "queue-question": ""}
    )
    clock.set(berlin(2026, 3, 17, 17, 30))
    client_for(roles.board).post("/sprechstunde/warteschlange", data={"queue-topic": "sonstiges", "queue-question": ""})
    order = [e.user_id for e in services.waiting_entries(date(2026, 3, 17))]
    assert order == [roles.member.id, roles.board.id, roles.outsider.id]
    booked = db.session.scalar(sa.select(QueueEntry).where(QueueEntry.user_id == roles.board.id))
    assert booked.booking_id is not None and booked.question
    assert booked.topic == "videokonferenz-chat"  # taken from the booking


def test_queue_is_closed_outside_the_consultation_hour(roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 18, 17, 5))
    response = client_for(roles.member).post("/sprechstunde/warteschlange", data={"queue-topic": "sonstiges"})
    assert response.status_code == 409
    assert "nur während der Sprechstunde" in response.get_data(as_text=True)


def test_leaving_the_queue(roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 17, 16, 45))
    member = client_for(roles.member)
    member.post("/sprechstunde/warteschlange", data={"queue-topic": "sonstiges"})
    entry = db.session.scalar(sa.select(QueueEntry))
    assert member.post(f"/sprechstunde/warteschlange/{entry.id}/verlassen").status_code == 303
    db.session.refresh(entry)
    assert entry.status == "left"
    assert member.get(f"/sprechstunde/warteschlange/{entry.id}", headers=HX).status_code == 286


# --- trust (issue 12): a meeting per consultation, one place per person, priority once ------------------------


def _join(client, topic="sonstiges", question=""):
    return client.post("/sprechstunde/warteschlange", data={"queue-topic": topic, "queue-question": question})


def _bbb_join_url(client, entry):
    response = client.get(f"/sprechstunde/warteschlange/{entry.id}/beitreten")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def _bbb_accepts(url) -> bool:
    """Follow a join link at the BBB stand-in: a redirect into the room, or an XML error."""
    import requests

    response = requests.get(url, allow_redirects=False, timeout=5)
    return response.status_code == 302


def test_each_consultation_has_its_own_meeting_and_old_links_die(bbb_standin, roles, client_for, make_schedule, clock):
    from tests.meetings.conftest import query_of

    make_schedule()
    clock.set(berlin(2026, 3, 17, 17, 5))
    member, board, staff = client_for(roles.member), client_for(roles.board), client_for(roles.staff)
    _join(member, question="Erste Frage")
    clock.set(berlin(2026, 3, 17, 17, 6))
    _join(board, question="Zweite Frage")
    first, second = db.session.scalars(sa.select(QueueEntry).order_by(QueueEntry.id)).all()

    staff.post("/admin/workshops/sprechstunde/warteschlange/weiter")
    db.session.refresh(first)
    first_url = _bbb_join_url(member, first)
    assert _bbb_accepts(first_url)

    staff.post("/admin/workshops/sprechstunde/warteschlange/weiter")  # the first is done, the second comes in
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == ("done", "admitted")
    second_url = _bbb_join_url(board, second)
    first_meeting, second_meeting = query_of(first_url)["meetingID"], query_of(second_url)["meetingID"]
    assert first_meeting != second_meeting
    # The earlier visitor's link ends with their consultation, and our page no longer hands one out.
    assert not _bbb_accepts(first_url)
    assert first_meeting not in bbb_standin.state.meetings
    refused = member.get(f"/sprechstunde/warteschlange/{first.id}/beitreten")
    assert refused.status_code == 403 and "Ihr Gespräch ist beendet" in refused.get_data(as_text=True)
    assert member.get(f"/sprechstunde/warteschlange/{second.id}/beitreten").status_code == 404
    # In the second consultation's meeting there is nobody from the first one.
    assert _bbb_accepts(second_url)
    names = [a.full_name for a in bbb_standin.state.meetings[second_meeting].attendees.values()]
    assert names == ["Vera Vorstand"]
    # Staff moderate this consultation's meeting, never a finished one.
    moderating = staff.post(f"/admin/workshops/sprechstunde/warteschlange/{second.id}/raum")
    assert moderating.status_code == 303
    assert query_of(moderating.headers["Location"])["role"] == "MODERATOR"
    assert query_of(moderating.headers["Location"])["meetingID"] == second_meeting
    assert staff.post(f"/admin/workshops/sprechstunde/warteschlange/{first.id}/raum").status_code == 409

    # Staff end the last consultation of the day: its link dies too.
    finished = staff.post(f"/admin/workshops/sprechstunde/warteschlange/{second.id}/beenden")
    assert finished.status_code == 303
    db.session.refresh(second)
    assert second.status == "done" and not _bbb_accepts(second_url)


def test_staff_queue_page_opens_the_admitted_persons_own_room(bbb_standin, roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 17, 17, 5))
    _join(client_for(roles.member))
    staff = client_for(roles.staff)
    staff.post("/admin/workshops/sprechstunde/warteschlange/weiter")
    entry = db.session.scalar(sa.select(QueueEntry))
    page = staff.get("/admin/workshops/sprechstunde/warteschlange").get_data(as_text=True)
    assert f"/admin/workshops/sprechstunde/warteschlange/{entry.id}/raum" in page
    assert f"/admin/workshops/sprechstunde/warteschlange/{entry.id}/beenden" in page


def test_a_bookings_priority_counts_once(bbb_standin, roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    _book(client_for(roles.board), datetime(2026, 3, 17, 16, 0, tzinfo=UTC))  # 17:00
    staff, board = client_for(roles.staff), client_for(roles.board)
    clock.set(berlin(2026, 3, 17, 17, 1))
    _join(board)
    staff.post("/admin/workshops/sprechstunde/warteschlange/weiter")  # served with the booking
    clock.set(berlin(2026, 3, 17, 17, 10))
    _join(client_for(roles.outsider))
    staff.post("/admin/workshops/sprechstunde/warteschlange/weiter")  # the board member is done
    clock.set(berlin(2026, 3, 17, 17, 12))
    _join(client_for(roles.member))
    clock.set(berlin(2026, 3, 17, 17, 20))
    _join(board)  # again, after being served: no priority from the booking any more
    order = [e.user_id for e in services.waiting_entries(date(2026, 3, 17))]
    assert order == [roles.member.id, roles.board.id]
    again = services.waiting_entries(date(2026, 3, 17))[-1]
    assert again.booking_id is None and again.priority_at == berlin(2026, 3, 17, 17, 20)


def test_leaving_before_being_served_keeps_the_bookings_priority(roles, client_for, make_schedule, clock):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    _book(client_for(roles.board), datetime(2026, 3, 17, 16, 0, tzinfo=UTC))  # 17:00
    board = client_for(roles.board)
    clock.set(berlin(2026, 3, 17, 17, 1))
    _join(board)
    entry = db.session.scalar(sa.select(QueueEntry))
    board.post(f"/sprechstunde/warteschlange/{entry.id}/verlassen")
    clock.set(berlin(2026, 3, 17, 17, 5))
    _join(client_for(roles.member))
    clock.set(berlin(2026, 3, 17, 17, 9))
    _join(board)
    assert [e.user_id for e in services.waiting_entries(date(2026, 3, 17))] == [roles.board.id, roles.member.id]


def test_one_person_holds_one_place_even_when_the_check_is_raced(roles, client_for, make_schedule, clock, monkeypatch):
    """Two requests of one person that both pass the "already waiting?" check: the database keeps one place."""
    make_schedule()
    clock.set(berlin(2026, 3, 17, 17, 5))
    member = client_for(roles.member)
    assert _join(member).status_code == 303
    real_active_entry = services.active_entry
    calls = []

    def raced(user, day):  # the first look (as in the parallel request) finds nothing yet
        calls.append(user.id)
        return None if len(calls) == 1 else real_active_entry(user, day)

    monkeypatch.setattr(services, "active_entry", raced)
    response = _join(member)
    assert response.status_code == 303
    entries = db.session.scalars(sa.select(QueueEntry)).all()
    assert len(entries) == 1 and response.headers["Location"].endswith(f"/warteschlange/{entries[0].id}")


def test_parallel_joins_of_one_person_make_one_place(roles, client_for, make_schedule, clock):
    from .test_concurrency import _parallel

    make_schedule()
    clock.set(berlin(2026, 3, 17, 17, 5))
    clients = [client_for(roles.member) for _ in range(6)]
    responses = _parallel([lambda c=c: _join(c) for c in clients])
    assert {r.status_code for r in responses} == {303}
    db.session.expire_all()
    entries = db.session.scalars(sa.select(QueueEntry)).all()
    assert len(entries) == 1
    assert {r.headers["Location"] for r in responses} == {f"/sprechstunde/warteschlange/{entries[0].id}"}


def test_the_database_refuses_a_second_open_place(roles, make_schedule):
    day = date(2026, 3, 17)

    def entry(status):
        return QueueEntry(
            day=day,
            user_id=roles.member.id,
            name="Moritz",
            topic="sonstiges",
            status=status,
            priority_at=berlin(2026, 3, 17, 17, 5),
        )

    db.session.add_all([entry("done"), entry("left"), entry("waiting")])
    db.session.commit()  # closed places do not count
    db.session.add(entry("admitted"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_booking_needs_a_confirmed_address(make_user, client_for, make_schedule, clock, mailbox):
    make_schedule()
    clock.set(berlin(2026, 3, 1, 12))
    throwaway = make_user(email="wegwerf@example.org", confirmed=False)
    client = client_for(throwaway)
    for headers in ({}, HX):
        response = client.post(
            "/sprechstunde/buchen",
            headers=headers,
            data={"slot": datetime(2026, 3, 17, 16, 0, tzinfo=UTC).isoformat(), "topic": "sonstiges", "question": "x"},
        )
        assert response.status_code == 403
        assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in response.get_data(as_text=True)
    with pytest.raises(services.ConsultationError, match="bestätigen"):
        services.book_slot(throwaway, datetime(2026, 3, 17, 16, 0, tzinfo=UTC), topic="sonstiges", question="")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationBooking)) == 0
    assert mailbox.messages == []
    page = client.get("/sprechstunde").get_data(as_text=True)
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in page and "Termin buchen</button>" not in page
