from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import BaseForm

from .models import CONSULTATION_TOPICS, TOPICS

FORMAT = "%Y-%m-%dT%H:%M"


def _choices(mapping):
    return lambda: [SelectChoice(key, label) for key, label in mapping.items()]


def _valid_club(field):
    if field.data and field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(_l("Bitte wählen Sie einen Ihrer Vereine."))


class WorkshopForm(BaseForm):
    title = StringField(_l("Titel"), validators=[DataRequired(_l("Bitte geben Sie einen Titel ein.")), Length(max=200)])
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=5000)])
    topic = SelectField(_l("Thema"), choices=_choices(TOPICS))
    starts_at = DateTimeLocalField(_l("Beginn"), format=FORMAT,
                                   validators=[InputRequired(_l("Bitte geben Sie Datum und Uhrzeit an."))],
                                   description=_l("Berliner Zeit"))
    duration_minutes = IntegerField(_l("Dauer in Minuten"), default=90, validators=[
        InputRequired(_l("Bitte geben Sie die Dauer an.")),
        NumberRange(15, 600, _l("Die Dauer muss zwischen 15 und 600 Minuten liegen."))])
    mode = RadioField(_l("Ort"), choices=lambda: [SelectChoice("online", _l("Online (Konferenzraum des Plattform-Teams)")),
                                                  SelectChoice("onsite", _l("Vor Ort"))], default="online")
    address = TextAreaField(_l("Adresse (bei „Vor Ort“)"), validators=[Length(max=500)])
    capacity = IntegerField(_l("Plätze"), default=20, validators=[
        InputRequired(_l("Bitte geben Sie die Zahl der Plätze an.")),
        NumberRange(1, 1000, _l("Bitte geben Sie eine Zahl zwischen 1 und 1000 ein."))])
    registration_deadline = DateTimeLocalField(_l("Anmeldeschluss"), format=FORMAT, validators=[
        InputRequired(_l("Bitte geben Sie den Anmeldeschluss an."))], description=_l("Berliner Zeit"))
    materials_url = StringField(_l("Link zu den Unterlagen"), validators=[
        Optional(), URL(require_tld=False, message=_l("Bitte geben Sie einen vollständigen Link ein (https://…).")),
        Length(max=500)], description=_l("Wird den Teilnehmenden nach dem Workshop geschickt."))

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
        _valid_club(field)


class MessageForm(BaseForm):
    subject = StringField(_l("Betreff"), validators=[DataRequired(_l("Bitte geben Sie einen Betreff ein.")),
                                                     Length(max=150)])
    body = TextAreaField(_l("Nachricht"), validators=[DataRequired(_l("Bitte schreiben Sie eine Nachricht.")),
                                                      Length(max=10_000)])
    include_waiting = BooleanField(_l("Auch an Personen auf der Warteliste senden"))


class ScheduleForm(BaseForm):
    rrule = StringField(_l("Wiederholungsregel (RRULE)"), default="FREQ=MONTHLY;BYDAY=+3TU",
                        validators=[DataRequired(_l("Bitte geben Sie eine Wiederholungsregel ein.")),
                                    Length(max=300)],
                        description=_l("Beispiele: FREQ=MONTHLY;BYDAY=+3TU (jeden dritten Dienstag im Monat), "
                                       "FREQ=WEEKLY;BYDAY=WE (jeden Mittwoch)."))
    starts_on = DateField(_l("Gilt ab"), validators=[InputRequired(_l("Bitte geben Sie ein Datum an."))])
    start_time = TimeField(_l("Beginn"), default=time(17, 0),
                           validators=[InputRequired(_l("Bitte geben Sie die Uhrzeit an."))])
    end_time = TimeField(_l("Ende"), default=time(19, 0),
                         validators=[InputRequired(_l("Bitte geben Sie die Uhrzeit an."))])
    slot_minutes = IntegerField(_l("Länge eines Termins in Minuten"), default=20, validators=[
        InputRequired(), NumberRange(10, 120, _l("Bitte zwischen 10 und 120 Minuten."))])
    note = TextAreaField(_l("Hinweis für Besucherinnen und Besucher"), validators=[Length(max=2000)])

    def validate_end_time(self, field):
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError(_l("Das Ende muss nach dem Beginn liegen."))


class ExceptionForm(BaseForm):
    day = DateField(_l("Datum"), validators=[InputRequired(_l("Bitte geben Sie ein Datum an."))])
    reason = StringField(_l("Grund (wird angezeigt)"), validators=[Length(max=200)])


class BookingForm(BaseForm):
    slot = RadioField(_l("Termin"), choices=[], validators=[DataRequired(_l("Bitte wählen Sie einen Termin."))],
                      validate_choice=False)
    topic = SelectField(_l("Thema"), choices=_choices(CONSULTATION_TOPICS))
    question = TextAreaField(_l("Ihre Frage in ein, zwei Sätzen"), validators=[
        DataRequired(_l("Bitte beschreiben Sie kurz Ihre Frage.")),
        Length(max=500, message=_l("Bitte fassen Sie sich kurz (höchstens 500 Zeichen)."))])
    club = SelectField(_l("Für"), choices=[], validate_choice=False)

    def validate_club(self, field):
        _valid_club(field)

    def slot_datetime(self):
        try:
            return datetime.fromisoformat(self.slot.data)
        except (TypeError, ValueError):
            return None


class QueueForm(BaseForm):
    topic = SelectField(_l("Thema"), choices=_choices(CONSULTATION_TOPICS))
    question = TextAreaField(_l("Ihre Frage in ein, zwei Sätzen"), validators=[
        Length(max=500, message=_l("Bitte fassen Sie sich kurz (höchstens 500 Zeichen)."))])
    club = SelectField(_l("Für"), choices=[], validate_choice=False)

    def validate_club(self, field):
        _valid_club(field)
