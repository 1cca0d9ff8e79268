"""Demo data for ``make run``: ``flask seed-demo``.

An entry point like the app factory (it seeds every domain), so it may use any of them.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..auth.models import User
from ..auth.services import create_user
from ..clubs.models import ClubStatus, Membership, Role
from ..clubs.services import change_status, register_club
from ..extensions import db

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


def seed_demo(password: str) -> list[tuple[str, str]]:
    """Create the demo data set; returns (login, description) pairs."""
    logins = []
    staff = create_user(STAFF[0], STAFF[1], password, staff=True, confirmed=True)
    logins.append((staff.email, "Plattform-Team (Verwaltung)"))
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
    return logins


def init_app(app):
    @app.cli.command("seed-demo")
    @click.option("--password", default="vereinsraum-demo", show_default=True, help="Passwort für alle Demo-Konten")
    @click.option("--if-empty", is_flag=True, help="Nur anlegen, wenn es noch keine Konten gibt")
    @with_appcontext
    def seed_demo_command(password, if_empty):
        """Create demo accounts and clubs and print the logins."""
        if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            if if_empty:
                click.echo("Datenbank enthält schon Konten – keine Demodaten angelegt.")
                return
            raise click.ClickException("Die Datenbank enthält schon Konten. Demodaten nur in eine leere Datenbank.")
        logins = seed_demo(password)
        click.echo(f"Demo-Zugänge (Passwort für alle: {password}):")
        for email, description in logins:
            click.echo(f"  {email:40} {description}")
