from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm


class AcceptForm(BaseForm):
    #: the version the board member read (its hash): a changed text is not accepted unseen
    content_hash = HiddenField(validators=[DataRequired(), Length(max=64)])
    confirm = BooleanField(
        _l("Ich habe den Vertrag gelesen und nehme ihn für den Verein an."),
        validators=[DataRequired(_l("Bitte bestätigen Sie, dass Sie den Vertrag für den Verein annehmen."))],
    )
