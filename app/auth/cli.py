import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext

from ..core.text import has_control
from ..extensions import db
from .forms import MIN_PASSWORD
from .services import AccountError, create_user, get_user_by_email
from .twofactor import disable


def init_app(app):
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", required=True, help="Anzeigename")
    @click.option("--password", required=True, help="Passwort (mindestens 10 Zeichen)")
    @click.option("--staff", is_flag=True, help="Plattform-Team (Admin-Bereich)")
    @with_appcontext
    def create_user_command(email, name, password, staff):
        """Create a confirmed account (for operators)."""
        if len(password) < MIN_PASSWORD:
            raise click.UsageError(f"Das Passwort muss mindestens {MIN_PASSWORD} Zeichen lang sein.")
        if not name.strip():
            raise click.UsageError("Bitte geben Sie einen Namen an (--name).")
        if has_control(name):  # the forms' rule (core/forms.py single_line): the name goes into mail headers
            raise click.UsageError("Der Name darf keine Zeilenumbrüche oder Steuerzeichen enthalten.")
        if has_control(email):
            raise click.UsageError("Die E-Mail-Adresse darf keine Zeilenumbrüche oder Steuerzeichen enthalten.")
        try:
            validate_email(email.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise click.UsageError(f"Keine gültige E-Mail-Adresse: {email}") from exc
        try:
            user = create_user(email, name, password, staff=staff, confirmed=True)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Konto angelegt: {user.email}{' (Plattform-Team)' if staff else ''}")

    @app.cli.command("reset-two-factor")
    @click.argument("email")
    @with_appcontext
    def reset_two_factor_command(email):
        """Turn two-factor login off for an account whose owner lost app and recovery codes (for operators,
        after checking who asks). Audited, mailed to the account, every session ends."""
        user = get_user_by_email(email)
        if user is None or not user.has_two_factor:
            raise click.ClickException(f"Kein Konto mit Zwei-Faktor-Anmeldung: {email}")
        disable(user, by_operator=True)
        click.echo(f"Zwei-Faktor-Anmeldung ausgeschaltet: {user.email}")
