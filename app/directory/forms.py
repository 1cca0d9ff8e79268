from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import email_field, slug_field, strip_text
from ..core.forms import BaseForm
from .models import MESSAGE_MAX, SUMMARY_MAX

#: Name of the honeypot field: hidden from people (CSS and aria-hidden), filled in by form-filling bots.
HONEYPOT = "homepage"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ListingForm(BaseForm):
    listed = BooleanField(_l("Unseren Verein im öffentlichen Vereinsverzeichnis zeigen"))
    summary = TextAreaField(
        _l("Kurzbeschreibung für das Verzeichnis"),
        filters=[strip_text],
        validators=[Length(max=SUMMARY_MAX, message=_l("Höchstens %(max)s Zeichen.", max=SUMMARY_MAX))],
        description=_l("Höchstens %(max)s Zeichen. Was macht Ihr Verein, wen suchen Sie?", max=SUMMARY_MAX),
    )
    show_website = BooleanField(_l("Website des Vereins zeigen"), default=True)
    topics = MultiCheckboxField(_l("Themen"), coerce=int, choices=[], validate_choice=False)

    def validate_topics(self, field):
        offered = {value for value, _label in field.choices}
        if set(field.data or ()) - offered:
            raise ValidationError(_l("Bitte wählen Sie nur Themen aus der Liste."))

    def validate_summary(self, field):
        if self.listed.data and not (field.data or "").strip():
            raise ValidationError(_l("Bitte beschreiben Sie Ihren Verein kurz, bevor Sie ihn ins Verzeichnis stellen."))


class ContactForm(BaseForm):
    name = StringField(
        _l("Ihr Name"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen an.")),
            Length(max=120, message=_l("Der Name darf höchstens 120 Zeichen lang sein.")),
        ],
    )
    email = email_field(_l("Ihre E-Mail-Adresse (für die Antwort)"))
    message = TextAreaField(
        _l("Ihre Nachricht"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte schreiben Sie eine Nachricht.")),
            Length(
                min=10,
                max=MESSAGE_MAX,
                message=_l("Die Nachricht muss 10 bis %(max)s Zeichen lang sein.", max=MESSAGE_MAX),
            ),
        ],
    )
    homepage = StringField(_l("Bitte leer lassen"))


class TopicForm(BaseForm):
    slug = slug_field()
    name_de = StringField(
        _l("Name (Deutsch)"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen an.")),
            Length(max=60, message=_l("Höchstens 60 Zeichen.")),
        ],
    )
    name_en = StringField(
        _l("Name (Englisch)"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen an.")),
            Length(max=60, message=_l("Höchstens 60 Zeichen.")),
        ],
    )
    position = IntegerField(
        _l("Reihenfolge"),
        default=100,
        validators=[InputRequired(_l("Bitte geben Sie eine Zahl an.")), NumberRange(0, 10000, _l("0 bis 10000."))],
    )
    active = BooleanField(_l("Zur Auswahl anbieten"), default=True)
