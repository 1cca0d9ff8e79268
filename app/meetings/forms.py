from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..auth.forms import strip_text
from ..core.forms import BaseForm
from .models import REMINDER_CHOICES, REPEATS, WHO_MAY_START


class RoomForm(BaseForm):
    name = StringField(
        _l("Name des Raums"),
        filters=[strip_text],
        description=_l("Zum Beispiel „Vorstandssitzung“ oder „Mitgliederversammlung“."),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen an.")),
            Length(min=2, max=64, message=_l("Der Name muss 2 bis 64 Zeichen lang sein.")),
        ],
    )


class RoomSettingsForm(RoomForm):
    who_may_start = SelectField(
        _l("Wer darf die Konferenz starten?"), choices=lambda: [SelectChoice(k, v) for k, v in WHO_MAY_START.items()]
    )
    mute_on_join = BooleanField(_l("Mikrofone beim Betreten stumm schalten"))
    guest_access = BooleanField(_l("Gäste ohne Konto dürfen über den Gastlink teilnehmen"))
    access_code = StringField(
        _l("Zugangscode für Gäste (optional)"),
        filters=[strip_text],
        description=_l("Gäste müssen diesen Code eingeben. 4 bis 32 Zeichen, leer lassen für keinen Code."),
        validators=[Optional(), Length(min=4, max=32, message=_l("Der Zugangscode muss 4 bis 32 Zeichen lang sein."))],
    )
    waiting_room = BooleanField(_l("Warteraum: Die Moderation lässt Gäste herein"))
    recording_allowed = BooleanField(
        _l("Aufzeichnung erlauben"),
        description=_l("Alle sehen vor dem Betreten einen Hinweis, dass aufgezeichnet werden kann."),
    )


class GuestJoinForm(BaseForm):
    name = StringField(
        _l("Ihr Name"),
        filters=[strip_text],
        description=_l("So sehen die anderen Teilnehmenden Sie."),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen an.")),
            Length(min=2, max=80, message=_l("Der Name muss 2 bis 80 Zeichen lang sein.")),
        ],
    )
    access_code = StringField(_l("Zugangscode"), filters=[strip_text], validators=[Optional(), Length(max=32)])
    consent = BooleanField(_l("Ich habe den Hinweis zur Aufzeichnung gelesen und bin einverstanden."))


class ConsentForm(BaseForm):
    consent = BooleanField(
        _l("Ich habe den Hinweis zur Aufzeichnung gelesen und bin einverstanden."),
        validators=[InputRequired(_l("Bitte bestätigen Sie den Hinweis zur Aufzeichnung."))],
    )


class ScheduleForm(BaseForm):
    room_id = SelectField(_l("Raum"), coerce=int, validators=[InputRequired(_l("Bitte wählen Sie einen Raum."))])
    title = StringField(
        _l("Titel"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie einen Titel an.")),
            Length(min=2, max=120, message=_l("Der Titel muss 2 bis 120 Zeichen lang sein.")),
        ],
    )
    starts_at = DateTimeLocalField(
        _l("Beginn"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("Bitte geben Sie Datum und Uhrzeit an."))]
    )
    duration_minutes = IntegerField(
        _l("Dauer in Minuten"),
        default=60,
        validators=[
            InputRequired(_l("Bitte geben Sie die Dauer an.")),
            NumberRange(min=5, max=600, message=_l("Die Dauer muss zwischen 5 und 600 Minuten liegen.")),
        ],
    )
    agenda = TextAreaField(
        _l("Tagesordnung (optional)"), validators=[Optional(), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))]
    )
    repeat = SelectField(
        _l("Wiederholen"),
        choices=[SelectChoice("", _l("nicht wiederholen"))] + [SelectChoice(k, v) for k, v in REPEATS.items()],
        default="",
        validate_choice=True,
    )
    repeat_until = DateField(_l("Wiederholen bis (optional)"), validators=[Optional()])
    notify = BooleanField(_l("Alle Mitglieder per E-Mail einladen bzw. über Änderungen informieren"), default=True)

    def validate_starts_at(self, field):
        if field.data is not None and field.data.year < 2000:
            raise ValidationError(_l("Bitte geben Sie ein gültiges Datum an."))

    def validate_repeat_until(self, field):
        if field.data is not None and self.starts_at.data is not None and field.data < self.starts_at.data.date():
            raise ValidationError(_l("Das Ende der Wiederholung liegt vor dem ersten Termin."))


class MoveForm(BaseForm):
    starts_at = DateTimeLocalField(
        _l("Neuer Beginn"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Bitte geben Sie Datum und Uhrzeit an."))],
    )
    notify = BooleanField(_l("Alle Mitglieder per E-Mail informieren"), default=True)

    def validate_starts_at(self, field):
        if field.data is not None and field.data.year < 2000:
            raise ValidationError(_l("Bitte geben Sie ein gültiges Datum an."))


class CancelForm(BaseForm):
    notify = BooleanField(_l("Alle Mitglieder per E-Mail über die Absage informieren"), default=True)


class ReminderSettingForm(BaseForm):
    hours = SelectField(
        _l("Erinnerung per E-Mail an alle Mitglieder"),
        coerce=int,
        choices=lambda: [SelectChoice(k, v) for k, v in REMINDER_CHOICES.items()],
    )


class MyRemindersForm(BaseForm):
    wanted = BooleanField(_l("Ich möchte Erinnerungen an die Termine per E-Mail bekommen"))
