from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm


class PageForm(BaseForm):
    title = StringField(
        _l("Überschrift"), validators=[DataRequired(_l("Bitte geben Sie eine Überschrift ein.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown: ## Zwischenüberschrift, **fett**, - Aufzählung, [Linktext](https://…). "
            "HTML wird nicht übernommen."
        ),
        validators=[Length(max=50_000, message=_l("Der Text ist zu lang."))],
    )
