from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from ..auth.forms import strip_text
from ..core.forms import BaseForm
from .models import DISTRICTS, LEGAL_FORMS, Role
from .services import invitation_default_days, memberships_of


def with_scheme(value):
    """A website typed without a scheme ("mein-verein.de") gets ``https://``; other schemes stay (and fail)."""
    if isinstance(value, str) and value and "://" not in value:
        return "https://" + value
    return value


def http_scheme(form, field):
    """Only web addresses; stops the chain, so one mistake gets one message."""
    if field.data and not field.data.lower().startswith(("https://", "http://")):
        raise StopValidation(_l("Die Adresse muss mit https:// oder http:// beginnen."))


def club_choices(user, blank_label) -> list[SelectChoice]:
    """A "for which club?" choice (workshops, consultation): the user's active clubs, after ``blank_label``."""
    choices = [SelectChoice("", blank_label)]
    for membership in memberships_of(user):
        if membership.club.is_active:
            choices.append(SelectChoice(str(membership.club_id), membership.club.name))
    return choices


def validate_own_club(field) -> None:
    """For a field filled with :func:`club_choices`: only one of the offered clubs (or none)."""
    if field.data and field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(_l("Bitte wählen Sie einen Ihrer Vereine."))


def _district_choices():
    return [("", _l("Bitte wählen"))] + [(d, d) for d in DISTRICTS]


def _legal_form_choices():
    return [("", _l("Bitte wählen"))] + list(LEGAL_FORMS.items())


def _role_choices():
    return [(Role.MEMBER.value, _l("Mitglied (Ehrenamtliche)")), (Role.BOARD.value, _l("Vorstand"))]


class ClubForm(BaseForm):
    name = StringField(
        _l("Name des Vereins oder der Initiative"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen an.")),
            Length(min=3, max=120, message=_l("Der Name muss 3 bis 120 Zeichen lang sein.")),
        ],
    )
    legal_form = SelectField(
        _l("Rechtsform"), choices=_legal_form_choices, validators=[DataRequired(_l("Bitte wählen Sie die Rechtsform."))]
    )
    district = SelectField(
        _l("Bezirk"), choices=_district_choices, validators=[DataRequired(_l("Bitte wählen Sie den Bezirk."))]
    )
    contact_email = EmailField(
        _l("Kontakt-E-Mail des Vereins"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie eine Kontaktadresse an.")),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."), check_deliverability=False),
            Length(max=254, message=_l("Die E-Mail-Adresse darf höchstens 254 Zeichen lang sein.")),
        ],
    )
    website = URLField(
        _l("Website (optional)"),
        description=_l("Zum Beispiel mein-verein.de"),
        filters=[strip_text, with_scheme],
        validators=[
            Optional(),
            Length(max=255, message=_l("Die Adresse darf höchstens 255 Zeichen lang sein.")),
            http_scheme,
            URL(
                require_tld=True,
                message=_l("Bitte geben Sie eine vollständige Adresse an, zum Beispiel mein-verein.de."),
            ),
        ],
    )
    description = TextAreaField(
        _l("Kurzbeschreibung (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen."))],
    )

    def validate_name(self, field):
        if not field.data.strip():
            raise ValidationError(_l("Bitte geben Sie den Namen an."))


class InviteEmailForm(BaseForm):
    email = EmailField(
        _l("E-Mail-Adresse"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse an.")),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."), check_deliverability=False),
            Length(max=254),
        ],
    )
    role = SelectField(_l("Rolle"), choices=_role_choices, default=Role.MEMBER.value)


def _invitation_days() -> int:
    return min(90, invitation_default_days())


class InviteLinkForm(BaseForm):
    role = SelectField(_l("Rolle"), choices=_role_choices, default=Role.MEMBER.value)
    days = IntegerField(
        _l("Gültig für (Tage)"),
        default=lambda: _invitation_days(),
        validators=[
            InputRequired(_l("Bitte geben Sie an, wie viele Tage der Link gilt.")),
            NumberRange(1, 90, _l("Ein Link gilt 1 bis 90 Tage.")),
        ],
    )
    multi_use = BooleanField(_l("Mehrfach verwendbar (z. B. für die Mitgliederversammlung)"))


class RoleForm(BaseForm):
    role = SelectField(_l("Rolle"), choices=_role_choices)


class ClubSettingsForm(ClubForm):
    """The board edits the club profile (same fields and rules as the registration)."""


class BoardTwoFactorForm(BaseForm):
    required = BooleanField(_l("Zwei-Faktor-Anmeldung für den Vorstand verpflichtend"))
