from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..core.forms import BaseForm

KIND_CHOICES = (
    ("article", _l("Wissensartikel")),
    ("chapter", _l("Leitfaden-Kapitel")),
    ("template", _l("Musterformulierung")),
)


class PageForm(BaseForm):
    title = StringField(_l("Titel"), validators=[DataRequired(_l("Bitte geben Sie einen Titel an.")), Length(max=200)])
    summary = TextAreaField(
        _l("Kurzbeschreibung"),
        validators=[Length(max=500)],
        description=_l("Ein bis zwei Sätze für Übersichten und Suchergebnisse."),
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[DataRequired(_l("Bitte geben Sie einen Text ein.")), Length(max=100_000)],
        description=_l("Überschriften mit ## und ###, Listen mit -, Links als [Text](https://…)."),
    )
    title_en = StringField(_l("Titel (Englisch)"), validators=[Length(max=200)])
    summary_en = TextAreaField(_l("Kurzbeschreibung (Englisch)"), validators=[Length(max=500)])
    body_en = TextAreaField(_l("Text (Englisch, Markdown)"), validators=[Length(max=100_000)])
    note = StringField(
        _l("Was wurde geändert?"),
        validators=[Length(max=200)],
        description=_l("Optional, erscheint in der Versionsgeschichte."),
    )
    action = HiddenField()


class NewPageForm(PageForm):
    kind = SelectField(_l("Art"), choices=lambda: [SelectChoice(value, label) for value, label in KIND_CHOICES])
    slug = StringField(
        _l("Adresse (Kurzname)"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Kurznamen an.")),
            Length(min=2, max=80),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Nur Kleinbuchstaben, Ziffern und Bindestriche.")),
        ],
        description=_l("Wird Teil der Adresse, z. B. „soziale-medien“."),
    )
    position = IntegerField(_l("Reihenfolge"), validators=[Optional(), NumberRange(min=0, max=999)], default=0)
