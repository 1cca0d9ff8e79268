from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..clubs.forms import validate_own_club
from ..core.forms import BaseForm, choices_from
from .models import CONSULTATION_TOPICS


class ScheduleForm(BaseForm):
    rrule = StringField(
        _l("Wiederholungsregel (RRULE)"),
        default="FREQ=MONTHLY;BYDAY=+3TU",
        validators=[DataRequired(_l("Bitte geben Sie eine Wiederholungsregel ein.")), Length(max=300)],
        description=_l(
            "Beispiele: FREQ=MONTHLY;BYDAY=+3TU (jeden dritten Dienstag im Monat), "
            "FREQ=WEEKLY;BYDAY=WE (jeden Mittwoch)."
        ),
    )
    starts_on = DateField(_l("Gilt ab"), validators=[InputRequired(_l("Bitte geben Sie ein Datum an."))])
    start_time = TimeField(
        _l("Beginn"), default=time(17, 0), validators=[InputRequired(_l("Bitte geben Sie die Uhrzeit an."))]
    )
    end_time = TimeField(
        _l("Ende"), default=time(19, 0), validators=[InputRequired(_l("Bitte geben Sie die Uhrzeit an."))]
    )
    slot_minutes = IntegerField(
        _l("Länge eines Termins in Minuten"),
        default=20,
        validators=[InputRequired(), NumberRange(10, 120, _l("Bitte zwischen 10 und 120 Minuten."))],
    )
    note = TextAreaField(_l("Hinweis für Besucherinnen und Besucher"), validators=[Length(max=2000)])

    def validate_end_time(self, field):
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError(_l("Das Ende muss nach dem Beginn liegen."))


class ExceptionForm(BaseForm):
    day = DateField(_l("Datum"), validators=[InputRequired(_l("Bitte geben Sie ein Datum an."))])
    reason = StringField(_l("Grund (wird angezeigt)"), validators=[Length(max=200)])


class BookingForm(BaseForm):
    slot = RadioField(
        _l("Termin"), choices=[], validators=[DataRequired(_l("Bitte wählen Sie einen Termin."))], validate_choice=False
    )
    topic = SelectField(_l("Thema"), choices=choices_from(CONSULTATION_TOPICS))
    question = TextAreaField(
        _l("Ihre Frage in ein, zwei Sätzen"),
        validators=[
            DataRequired(_l("Bitte beschreiben Sie kurz Ihre Frage.")),
            Length(max=500, message=_l("Bitte fassen Sie sich kurz (höchstens 500 Zeichen).")),
        ],
    )
    club = SelectField(_l("Für"), choices=[], validate_choice=False)

    def validate_club(self, field):
        validate_own_club(field)

    def slot_datetime(self):
        try:
            return datetime.fromisoformat(self.slot.data)
        except (TypeError, ValueError):
            return None


class QueueForm(BaseForm):
    topic = SelectField(_l("Thema"), choices=choices_from(CONSULTATION_TOPICS))
    question = TextAreaField(
        _l("Ihre Frage in ein, zwei Sätzen"),
        validators=[Length(max=500, message=_l("Bitte fassen Sie sich kurz (höchstens 500 Zeichen)."))],
    )
    club = SelectField(_l("Für"), choices=[], validate_choice=False)

    def validate_club(self, field):
        validate_own_club(field)
