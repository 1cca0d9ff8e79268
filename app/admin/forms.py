from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm


class ReasonForm(BaseForm):
    reason = TextAreaField(
        _l("Begründung (geht per E-Mail an den Vorstand)"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine Begründung an.")),
            Length(max=2000, message=_l("Höchstens 2000 Zeichen.")),
        ],
    )


class NoteForm(BaseForm):
    body = TextAreaField(
        _l("Neue interne Notiz"),
        description=_l("Nur für das Plattform-Team sichtbar, nie für den Verein."),
        validators=[
            DataRequired(_l("Bitte schreiben Sie eine Notiz.")),
            Length(max=4000, message=_l("Höchstens 4000 Zeichen.")),
        ],
    )
