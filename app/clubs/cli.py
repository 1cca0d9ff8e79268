import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..auth.models import User
from ..core.text import has_control
from ..core.urls import external_url
from ..extensions import db
from .models import DISTRICTS, LEGAL_FORMS, ClubStatus
from .services import ClubError, change_status, register_club


def init_app(app):
    @app.cli.command("create-club")
    @click.argument("name")
    @click.option("--board", "board_email", required=True, help="E-Mail eines bestehenden Kontos (Vorstand)")
    @click.option("--district", default="Mitte", show_default=True)
    @click.option("--legal-form", default="ev", show_default=True)
    @with_appcontext
    def create_club_command(name, board_email, district, legal_form):
        """Create an approved club for onboarding by staff; prints slug and URL."""
        if has_control(name):  # the forms' rule (core/forms.py single_line): the name goes into mail headers
            raise click.UsageError("Der Name darf keine Zeilenumbrüche oder Steuerzeichen enthalten.")
        user = db.session.scalar(sa.select(User).where(User.email == User.normalise_email(board_email)))
        if user is None:
            raise click.ClickException(f"Kein Konto mit der Adresse {board_email}. Zuerst: flask create-user")
        if district not in DISTRICTS:
            raise click.UsageError(f"Unbekannter Bezirk. Möglich: {', '.join(DISTRICTS)}")
        if legal_form not in LEGAL_FORMS:
            raise click.UsageError(f"Unbekannte Rechtsform. Möglich: {', '.join(LEGAL_FORMS)}")
        if not 3 <= len(name.strip()) <= 120:
            raise click.UsageError("Der Name muss 3 bis 120 Zeichen lang sein.")
        try:
            club = register_club(user, name=name, legal_form=legal_form, district=district, contact_email=user.email)
        except ClubError as exc:
            raise click.ClickException(str(exc)) from None
        change_status(club, ClubStatus.APPROVED, by=None, notify=False)
        link = external_url("workspace.index", slug=club.slug)
        click.echo(f"Verein angelegt: {club.name}\nSlug: {club.slug}\nArbeitsbereich: {link}")
