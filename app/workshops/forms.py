from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..clubs.forms import validate_own_club
from ..core.forms import BaseForm, choices_from
from .models import TOPICS

FORMAT = "%Y-%m-%dT%H:%M"


class WorkshopForm(BaseForm):
    title = StringField(_l("Titel"), validators=[DataRequired(_l("Bitte geben Sie einen Titel ein.")), Length(max=200)])
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=5000)])
    topic = SelectField(_l("Thema"), choices=choices_from(TOPICS))
    starts_at = DateTimeLocalField(
        _l("Beginn"),
        format=FORMAT,
        validators=[InputRequired(_l("Bitte geben Sie Datum und Uhrzeit an."))],
        description=_l("Berliner Zeit"),
    )
    duration_minutes = IntegerField(
        _l("Dauer in Minuten"),
        default=90,
        validators=[
            InputRequired(_l("Bitte geben Sie die Dauer an.")),
            NumberRange(15, 600, _l("Die Dauer muss zwischen 15 und 600 Minuten liegen.")),
        ],
    )
    mode = RadioField(
        _l("Ort"),
        choices=lambda: [
            SelectChoice("online", _l("Online (Konferenzraum des Plattform-Teams)")),
            SelectChoice("onsite", _l("Vor Ort")),
        ],
        default="online",
    )
    address = TextAreaField(_l("Adresse (bei „Vor Ort“)"), validators=[Length(max=500)])
    capacity = IntegerField(
        _l("Plätze"),
        default=20,
        validators=[
            InputRequired(_l("Bitte geben Sie die Zahl der Plätze an.")),
            NumberRange(1, 1000, _l("Bitte geben Sie eine Zahl zwischen 1 und 1000 ein.")),
        ],
    )
    registration_deadline = DateTimeLocalField(
        _l("Anmeldeschluss"),
        format=FORMAT,
        validators=[InputRequired(_l("Bitte geben Sie den Anmeldeschluss an."))],
        description=_l("Berliner Zeit"),
    )
    materials_url = StringField(
        _l("Link zu den Unterlagen"),
        validators=[
            Optional(),
            URL(require_tld=False, message=_l("Bitte geben Sie einen vollständigen Link ein (https://…).")),
            Length(max=500),
        ],
        description=_l("Wird den Teilnehmenden nach dem Workshop geschickt."),
    )

    def validate_address(self, field):
        if self.mode.data == "onsite" and not (field.data or "").strip():
            raise ValidationError(_l("Bitte geben Sie für einen Workshop vor Ort die Adresse an."))

    def validate_registration_deadline(self, field):
        if field.data and self.starts_at.data and field.data > self.starts_at.data:
            raise ValidationError(_l("Der Anmeldeschluss muss vor dem Beginn liegen."))

    def validate_materials_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Bitte geben Sie einen Link mit https:// ein."))


class RegisterForm(BaseForm):
    club = SelectField(_l("Anmelden für"), choices=[], validate_choice=False)

    def validate_club(self, field):
        validate_own_club(field)


class MessageForm(BaseForm):
    subject = StringField(
        _l("Betreff"), validators=[DataRequired(_l("Bitte geben Sie einen Betreff ein.")), Length(max=150)]
    )
    body = TextAreaField(
        _l("Nachricht"), validators=[DataRequired(_l("Bitte schreiben Sie eine Nachricht.")), Length(max=10_000)]
    )
    include_waiting = BooleanField(_l("Auch an Personen auf der Warteliste senden"))
