from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp, StopValidation, ValidationError

from ..core.forms import BaseForm
from .twofactor import code_problem

MIN_PASSWORD = 10


def strip_text(value):
    """Form filter: people paste addresses with spaces around them."""
    return value.strip() if isinstance(value, str) else value


def slug_field(label=_l("Kürzel")):
    """A short key staff choose for a list entry (topics, services): lower-case letters, digits, hyphens."""
    return StringField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie ein Kürzel an.")),
            Length(max=40, message=_l("Höchstens 40 Zeichen.")),
            Regexp(r"^[a-z0-9-]+$", message=_l("Nur Kleinbuchstaben, Ziffern und Bindestriche.")),
        ],
    )


def email_field(label=_l("E-Mail-Adresse")):
    return EmailField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse an.")),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


def new_password_field(label=_l("Passwort")):
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Bitte wählen Sie ein Passwort.")),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("Das Passwort muss mindestens %(n)s Zeichen lang sein.", n=MIN_PASSWORD),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l(
            "Mindestens %(n)s Zeichen. Ein Satz aus mehreren Wörtern ist gut zu merken und sicher.", n=MIN_PASSWORD
        ),
    )


def name_field():
    return StringField(
        _l("Name"),
        validators=[DataRequired(_l("Bitte geben Sie Ihren Namen an.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )


def _not_blank(form, field):
    if field.data is not None and not field.data.strip():
        raise ValidationError(_l("Bitte geben Sie Ihren Namen an."))


class RegisterForm(BaseForm):
    name = name_field()
    email = email_field()
    password = new_password_field()
    password_repeat = PasswordField(
        _l("Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das Passwort.")),
            EqualTo("password", _l("Die Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_name(self, field):
        _not_blank(self, field)


class LoginForm(BaseForm):
    email = email_field()
    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Angemeldet bleiben (30 Tage)"))


class ResetRequestForm(BaseForm):
    email = email_field()


class ResetPasswordForm(BaseForm):
    password = new_password_field(_l("Neues Passwort"))
    password_repeat = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das Passwort.")),
            EqualTo("password", _l("Die Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(BaseForm):
    name = name_field()

    def validate_name(self, field):
        _not_blank(self, field)


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr aktuelles Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )


class ChangeEmailForm(BaseForm):
    email = email_field(_l("Neue E-Mail-Adresse"))
    current_password = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr aktuelles Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )


class DeleteAccountForm(BaseForm):
    current_password = PasswordField(
        _l("Passwort zur Bestätigung"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )


# --- two-factor login ------------------------------------------------------------------------------


def _code_checker(recovery: bool):
    def check(form, field):
        problem = code_problem(field.data, recovery=recovery)
        if problem:
            raise StopValidation(problem)

    return check


def code_field(label=_l("Code aus der App")):
    return StringField(
        label,
        validators=[_code_checker(recovery=False)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6, "spellcheck": "false"},
        description=_l("Sechs Ziffern, ohne Leerzeichen. Der Code wechselt alle 30 Sekunden."),
    )


class TwoFactorCodeForm(BaseForm):
    code = code_field()


class RecoveryCodeForm(BaseForm):
    code = StringField(
        _l("Wiederherstellungscode"),
        validators=[_code_checker(recovery=True)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none", "maxlength": 11},
        description=_l("Zehn Zeichen, zum Beispiel „abcde-fghjk“. Jeder Code gilt nur einmal."),
    )


class DisableTwoFactorForm(BaseForm):
    current_password = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr aktuelles Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code aus der App oder Wiederherstellungscode"),
        validators=[DataRequired(_l("Bitte geben Sie den sechsstelligen Code aus Ihrer App ein."))],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "maxlength": 11},
    )

    def validate_code(self, field):
        problems = (code_problem(field.data), code_problem(field.data, recovery=True))
        if all(problems):
            raise ValidationError(problems[0])


class RegenerateCodesForm(BaseForm):
    current_password = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr aktuelles Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )


class PasskeyForm(BaseForm):
    name = StringField(
        _l("Name des Passkeys"),
        validators=[DataRequired(_l("Bitte geben Sie dem Passkey einen Namen.")), Length(max=80)],
        description=_l("Zum Beispiel „Laptop“ oder „Sicherheitsschlüssel“."),
    )
