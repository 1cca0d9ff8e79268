from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..auth.forms import slug_field, strip_text
from ..core.forms import BaseForm, choices_from
from .models import STATUS_KINDS

_SHORT = Length(max=120, message=_l("Höchstens 120 Zeichen."))
_TEXT = Length(max=2000, message=_l("Höchstens 2000 Zeichen."))


class OfferForm(BaseForm):
    slug = slug_field()
    name_de = StringField(
        _l("Name"), filters=[strip_text], validators=[DataRequired(_l("Bitte geben Sie einen Namen an.")), _SHORT]
    )
    name_en = StringField(_l("Name (Englisch, optional)"), filters=[strip_text], validators=[_SHORT])
    purpose_de = TextAreaField(
        _l("Wofür?"), filters=[strip_text], validators=[DataRequired(_l("Bitte beschreiben Sie den Zweck.")), _TEXT]
    )
    purpose_en = TextAreaField(_l("Wofür? (Englisch, optional)"), filters=[strip_text], validators=[_TEXT])
    audience_de = TextAreaField(
        _l("Wer darf es nutzen?"),
        filters=[strip_text],
        validators=[DataRequired(_l("Bitte sagen Sie, wer das Angebot nutzen darf.")), _TEXT],
    )
    audience_en = TextAreaField(
        _l("Wer darf es nutzen? (Englisch, optional)"), filters=[strip_text], validators=[_TEXT]
    )
    access_de = TextAreaField(
        _l("Wie bekommt man Zugang?"),
        filters=[strip_text],
        validators=[DataRequired(_l("Bitte beschreiben Sie, wie man Zugang bekommt.")), _TEXT],
    )
    access_en = TextAreaField(
        _l("Wie bekommt man Zugang? (Englisch, optional)"), filters=[strip_text], validators=[_TEXT]
    )
    guide_url = StringField(
        _l("Link zur Anleitung (optional)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500, message=_l("Höchstens 500 Zeichen."))],
        description=_l("Eine Seite des Vereinsraums (beginnt mit /) oder eine Adresse mit https://"),
    )
    status_kind = SelectField(
        _l("Statusprüfung"), choices=choices_from(STATUS_KINDS), default="none", validate_choice=False
    )
    status_url = StringField(
        _l("Adresse für die Statusprüfung"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500, message=_l("Höchstens 500 Zeichen."))],
        description=_l("Nur bei „Adresse abfragen“: eine öffentliche https-Adresse, die mit Status 200 antwortet."),
    )
    position = IntegerField(
        _l("Reihenfolge"),
        default=100,
        validators=[InputRequired(_l("Bitte geben Sie eine Zahl an.")), NumberRange(0, 10000, _l("0 bis 10000."))],
    )
    active = BooleanField(_l("Auf der Seite „Angebote“ zeigen"), default=True)

    def validate_status_kind(self, field):
        if field.data not in STATUS_KINDS:
            raise ValidationError(_l("Bitte wählen Sie eine Art der Statusprüfung aus der Liste."))

    def validate_guide_url(self, field):
        value = field.data or ""
        if value and not (value.startswith("https://") or (value.startswith("/") and not value.startswith("//"))):
            raise ValidationError(_l("Der Link muss mit / (eine Seite des Vereinsraums) oder mit https:// beginnen."))

    def values(self) -> dict:
        """The model's values: missing texts are empty, empty links are None."""
        values = {name: self[name].data for name in self._fields if name != "csrf_token"}
        for name in ("name_en", "purpose_en", "audience_en", "access_en"):
            values[name] = values[name] or ""
        for name in ("guide_url", "status_url"):
            values[name] = values[name] or None
        return values
