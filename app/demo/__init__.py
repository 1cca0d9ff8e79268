"""Demo data for ``make run``: ``flask seed-demo``.

An entry point like the app factory (it seeds every domain), so it may use any of them.

The demo looks lived-in: the approved clubs have answered about half of the self-check (notes, owners,
some overdue actions), a scheduled board meeting, a room with a guest link and past meetings; there are
upcoming workshops with registrations and a consultation hour. The Imkerverein's own chat channel lives
in the Mattermost stand-in, which ``make run`` starts afresh each time: :func:`link_demo_channel` (called
by app/devserver.py, and by ``seed-demo`` when a chat server is configured) links it to the club.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from ..auth.models import User
from ..auth.services import create_user
from ..chat import linking as chat_linking
from ..chat import services as chat_services
from ..clubs.models import Club, ClubStatus, Membership, Role
from ..clubs.services import change_status, register_club
from ..consultation import services as consultation
from ..core.db import utcnow
from ..extensions import db
from ..integrations.mattermost.standin import DEMO_CHANNEL, DEMO_TEAM
from ..meetings import calendar as meetings_calendar
from ..meetings.models import MeetingRun
from ..meetings.services import ensure_default_room
from ..privacy import services as privacy
from ..workshops.models import Registration, RegistrationStatus
from ..workshops.services import save_workshop

log = logging.getLogger(__name__)

BERLIN = ZoneInfo("Europe/Berlin")
#: the club whose own channel the Mattermost stand-in holds (see make_standin)
CHAT_CLUB = "Imkerverein Pankow e. V."

DEMO_CLUBS = (
    # name, legal form, district, status, board (email, name), volunteers
    (
        "Imkerverein Pankow e. V.",
        "ev",
        "Pankow",
        "approved",
        ("vorstand@imker-pankow.example", "Hanna Bienert"),
        [("ehrenamt@imker-pankow.example", "Jonas Wabe")],
    ),
    (
        "FC Kreuzberg 1921 e. V.",
        "ev",
        "Friedrichshain-Kreuzberg",
        "approved",
        ("vorstand@fc-kreuzberg.example", "Deniz Aydın"),
        [("trainerin@fc-kreuzberg.example", "Mia Schulte")],
    ),
    (
        "Kunstkollektiv Wedding",
        "initiative",
        "Mitte",
        "approved",
        ("vorstand@kunst-wedding.example", "Lou Brandt"),
        [("ehrenamt@kunst-wedding.example", "Sam Okafor")],
    ),
    (
        "Nachbarschaftsstiftung Neukölln",
        "stiftung",
        "Neukölln",
        "pending",
        ("vorstand@stiftung-nk.example", "Petra Lindner"),
        [],
    ),
)
STAFF = ("team@vereinsraum.example", "Plattform-Team")


def seed_demo(password: str, *, chat: bool = True) -> list[tuple[str, str]]:
    """Create the demo data set; returns (login, description) pairs."""
    logins = []
    staff = create_user(STAFF[0], STAFF[1], password, staff=True, confirmed=True)
    logins.append((staff.email, "Plattform-Team (Verwaltung)"))
    lived_in = []
    for name, legal_form, district, status, (board_email, board_name), volunteers in DEMO_CLUBS:
        board = create_user(board_email, board_name, password, confirmed=True)
        club = register_club(
            board,
            name=name,
            legal_form=legal_form,
            district=district,
            contact_email=board_email,
            description=f"Demo-Verein: {name}",
        )
        if status == "approved":
            change_status(club, ClubStatus.APPROVED, by=staff, notify=False)
        logins.append((board.email, f"Vorstand, {name}"))
        for email, person in volunteers:
            volunteer = create_user(email, person, password, confirmed=True)
            db.session.add(Membership(club_id=club.id, user_id=volunteer.id, role=Role.MEMBER))
            logins.append((volunteer.email, f"Mitglied, {name}"))
        db.session.commit()
        if status == "approved":
            lived_in.append((club, board, volunteer if volunteers else board))
    for index, (club, board, volunteer) in enumerate(lived_in):
        _seed_selfcheck(club, board, volunteer, share=0.5 if index < 2 else 0.2)
        _seed_meetings(club, board, weeks=8 - 3 * index)
    _seed_workshops(staff, [(club, board) for club, board, _v in lived_in] + [(c, v) for c, _b, v in lived_in])
    consultation.ensure_default_schedule()
    if chat and chat_services.platform_ready():
        link_demo_channel()
    return logins


# --- lived-in state -------------------------------------------------------------------------------------


def _local_today() -> date:
    return utcnow().astimezone(BERLIN).date()


def _berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(timezone.utc)


def _next(weekday: int, after: date) -> date:
    """The next ``weekday`` (0 = Monday) after ``after``."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


NOTES = (
    "Liegt im Vereinsordner, letzte Prüfung im Frühjahr.",
    "Muster aus dem Leitfaden übernommen, muss noch in der Mitgliederversammlung vorgestellt werden.",
    "Fehlt noch – Jonas fragt beim Landessportbund nach einer Vorlage.",
    "Nur teilweise: die alte Excel-Liste liegt noch auf dem privaten Rechner.",
)


def _seed_selfcheck(club, board, volunteer, *, share: float) -> None:
    """A profile and about ``share`` of the applicable items answered: notes, owners, overdue actions."""
    if privacy.current_version() is None:
        log.info("demo: no checklist loaded (flask content-sync), self-check left empty")
        return
    privacy.save_profile(club, {flag: flag in ("website", "newsletter") for flag in privacy.PROFILE_FLAGS}, by=board)
    assessment = privacy.club_assessment(club)
    privacy.save_settings(club, members_may_answer=True, consultation_wanted=club.name == CHAT_CLUB, by=board)
    states = [state for state in privacy.club_states(club, assessment) if state.applicable]
    names = dict(privacy.club_member_names(club))
    today = _local_today()
    step = max(1, round(1 / share))
    for i, state in enumerate(states[::step]):
        status = ("yes", "partial", "no", "yes", "partial")[i % 5]
        data = {
            "status": status,
            "note": NOTES[i % len(NOTES)] if i % 2 == 0 else None,
            "responsible_id": (volunteer.id if i % 3 else board.id) if status != "yes" else None,
            # open points get a date: some already passed (overdue), some ahead
            "due_date": (today - timedelta(days=7 + i) if i % 2 else today + timedelta(days=14 + i))
            if status != "yes"
            else None,
        }
        privacy.answer_item(club, state.item, board, data, 0, names, assessment)


def _seed_meetings(club, board, *, weeks: int) -> None:
    """The default room with a guest link, the next board meetings, and past meetings for the statistics."""
    room = ensure_default_room(club)
    room.guest_access = True
    room.recording_allowed = True
    db.session.commit()
    meetings_calendar.schedule(  # the board meets every Thursday at 19:00
        club,
        room=room,
        title="Vorstandssitzung",
        starts_at=_berlin(_next(3, _local_today()), 19),
        duration_minutes=90,
        agenda="1. Kasse\n2. Termine\n3. Verschiedenes",
        by=board,
        notify=False,
        repeat="weekly",
    )
    now = utcnow()
    for week in range(weeks):
        for extra in range(1 + week % 3):
            started = now - timedelta(weeks=week, days=1 + extra, hours=2)
            db.session.add(
                MeetingRun(
                    club_id=club.id,
                    room_id=room.id,
                    started_at=started,
                    ended_at=started + timedelta(minutes=55),
                    started_by_id=board.id,
                )
            )
    db.session.commit()


WORKSHOPS = (
    ("Datenschutz im Verein: die Grundlagen", "datenschutz", 10, True),
    ("Sicher online: Passwörter und Zwei-Faktor-Anmeldung", "online-sicherheit", 17, True),
    ("Fotos und Social Media im Verein", "social-media", 24, False),
)


def _seed_workshops(staff, people) -> None:
    """Upcoming workshops, the first ones with registrations (rows written directly: no mails from a demo)."""
    today = _local_today()
    for index, (title, topic, days, online) in enumerate(WORKSHOPS):
        starts = _berlin(today + timedelta(days=days), 18)
        workshop = save_workshop(
            None,
            {
                "title": title,
                "description": "Ein Abend mit Beispielen aus Berliner Vereinen und Zeit für Ihre Fragen.",
                "topic": topic,
                "starts_at": starts,
                "duration_minutes": 90,
                "online": online,
                "address": None if online else "Nachbarschaftshaus, Musterstraße 5, 10115 Berlin",
                "capacity": 20,
                "registration_deadline": starts - timedelta(days=1),
            },
            by=staff,
        )
        for club, user in people[: len(people) - index * 2]:
            db.session.add(
                Registration(
                    workshop_id=workshop.id,
                    user_id=user.id,
                    club_id=club.id,
                    name=user.name,
                    email=user.email,
                    status=RegistrationStatus.CONFIRMED,
                    confirmed_at=utcnow(),
                )
            )
        db.session.commit()


def link_demo_channel() -> str | None:
    """Link the Imkerverein to its own channel on the configured chat server (the stand-in's demo channel).

    Runs through the real linking code: the board member's account proves the channel is theirs. Does
    nothing when the demo club is missing or already linked to this server; returns what it did.
    """
    club = db.session.scalar(sa.select(Club).where(Club.name == CHAT_CLUB))
    if club is None or not chat_services.platform_ready() or club.status is not ClubStatus.APPROVED:
        return None
    link = chat_services.link_for(club)
    site = chat_services.platform_url()
    if link is not None and link.site_url == site and link.channel_id:
        return None
    board = db.session.scalar(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.club_id == club.id, Membership.role == Role.BOARD)
        .order_by(User.id)
    )
    team = current_app.config.get("MATTERMOST_TEAM") or DEMO_TEAM
    try:
        chat_linking.link_channel(club, f"{site}/{team}/channels/{DEMO_CHANNEL}", by=board)
    except chat_services.ChatError as exc:
        log.warning("demo: chat channel not linked: %s", exc)
        return None
    return f"{club.name}: Kanal {DEMO_CHANNEL} verknüpft"


def init_app(app):
    @app.cli.command("seed-demo")
    @click.option("--password", default="vereinsraum-demo", show_default=True, help="Passwort für alle Demo-Konten")
    @click.option("--if-empty", is_flag=True, help="Nur anlegen, wenn es noch keine Konten gibt")
    @click.option(
        "--without-chat", is_flag=True, help="Den Demo-Kanal nicht verknüpfen (die Vereine haben noch keinen Chat)"
    )
    @with_appcontext
    def seed_demo_command(password, if_empty, without_chat):
        """Create demo accounts and clubs and print the logins."""
        if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            if if_empty:
                click.echo("Datenbank enthält schon Konten – keine Demodaten angelegt.")
                return
            raise click.ClickException("Die Datenbank enthält schon Konten. Demodaten nur in eine leere Datenbank.")
        logins = seed_demo(password, chat=not without_chat)
        click.echo(f"Demo-Zugänge (Passwort für alle: {password}):")
        for email, description in logins:
            click.echo(f"  {email:40} {description}")
