"""Platform CLI: demo data, backup and restore."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..extensions import db

DEMO_CLUBS = (
    # name, legal form, district, status, board (email, name), volunteers
    ("Imkerverein Pankow e. V.", "ev", "Pankow", "approved",
     ("vorstand@imker-pankow.example", "Hanna Bienert"), [("ehrenamt@imker-pankow.example", "Jonas Wabe")]),
    ("FC Kreuzberg 1921 e. V.", "ev", "Friedrichshain-Kreuzberg", "approved",
     ("vorstand@fc-kreuzberg.example", "Deniz Aydın"), [("trainerin@fc-kreuzberg.example", "Mia Schulte")]),
    ("Kunstkollektiv Wedding", "initiative", "Mitte", "approved",
     ("vorstand@kunst-wedding.example", "Lou Brandt"), [("ehrenamt@kunst-wedding.example", "Sam Okafor")]),
    ("Nachbarschaftsstiftung Neukölln", "stiftung", "Neukölln", "pending",
     ("vorstand@stiftung-nk.example", "Petra Lindner"), []),
)
STAFF = ("team@vereinsraum.example", "Plattform-Team")


def seed_demo(password: str) -> list[tuple[str, str]]:
    """Create the demo data set; returns (login, description) pairs."""
    from ..auth.services import create_user
    from ..clubs.models import ClubStatus, Membership, Role
    from ..clubs.services import change_status, register_club

    logins = []
    staff = create_user(STAFF[0], STAFF[1], password, staff=True, confirmed=True)
    logins.append((staff.email, "Plattform-Team (Verwaltung)"))
    for name, legal_form, district, status, (board_email, board_name), volunteers in DEMO_CLUBS:
        board = create_user(board_email, board_name, password, confirmed=True)
        club = register_club(board, name=name, legal_form=legal_form, district=district, contact_email=board_email,
                             description=f"Demo-Verein: {name}")
        if status == "approved":
            change_status(club, ClubStatus.APPROVED, by=staff, notify=False)
        logins.append((board.email, f"Vorstand, {name}"))
        for email, person in volunteers:
            volunteer = create_user(email, person, password, confirmed=True)
            db.session.add(Membership(club_id=club.id, user_id=volunteer.id, role=Role.MEMBER))
            logins.append((volunteer.email, f"Mitglied, {name}"))
        db.session.commit()
    return logins


def register_content_sync(app, name: str, fn) -> None:
    """Domains register loaders of their shipped content (checklist, guide, …).

    ``flask content-sync`` (run by ``make run``) calls them in order; each must be
    idempotent and must never overwrite what staff edited.
    """
    app.extensions.setdefault("vereinsraum.content_sync", []).append((name, fn))


def init_app(app):
    @app.cli.command("content-sync")
    @with_appcontext
    def content_sync_command():
        """Load the content shipped in the repository (idempotent)."""
        from flask import current_app

        syncs = current_app.extensions.get("vereinsraum.content_sync", [])
        for name, fn in syncs:
            click.echo(f"{name}: {fn() or 'ok'}")
        if not syncs:
            click.echo("Keine Inhalte zu laden.")

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False))
    @with_appcontext
    def backup_command(target):
        """Back up the database to TARGET (pg_dump, or SQLite's online backup)."""
        from flask import current_app

        from .backup import BackupError, backup

        try:
            kind = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target,
                          pg_bin_dir=current_app.config.get("PG_BIN_DIR"))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Sicherung ({kind}) geschrieben: {target}")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Ohne Rückfrage: der Inhalt der Datenbank wird ersetzt")
    @with_appcontext
    def restore_command(source, yes):
        """Replace the database's contents with the backup SOURCE (then run `flask db upgrade`)."""
        from flask import current_app

        from .backup import BackupError, restore

        if not yes:
            click.confirm("Alle Daten der konfigurierten Datenbank werden durch die Sicherung ersetzt. Weiter?",
                          abort=True)
        db.session.remove()
        db.engine.dispose()
        try:
            kind = restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source,
                           pg_bin_dir=current_app.config.get("PG_BIN_DIR"))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Sicherung ({kind}) eingespielt aus {source}. Danach: flask db upgrade heads")

    @app.cli.command("seed-demo")
    @click.option("--password", default="vereinsraum-demo", show_default=True, help="Passwort für alle Demo-Konten")
    @click.option("--if-empty", is_flag=True, help="Nur anlegen, wenn es noch keine Konten gibt")
    @with_appcontext
    def seed_demo_command(password, if_empty):
        """Create demo accounts and clubs and print the logins."""
        from ..auth.models import User

        if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            if if_empty:
                click.echo("Datenbank enthält schon Konten – keine Demodaten angelegt.")
                return
            raise click.ClickException("Die Datenbank enthält schon Konten. Demodaten nur in eine leere Datenbank.")
        logins = seed_demo(password)
        click.echo("Demo-Zugänge (Passwort für alle: %s):" % password)
        for email, description in logins:
            click.echo(f"  {email:40} {description}")
