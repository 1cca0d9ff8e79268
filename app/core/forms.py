from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class EmptyForm(FlaskForm):
    """CSRF protection for POST-only buttons."""


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Sprache"), choices=[("de", "Deutsch"), ("en", "English")])
    next = HiddenField()


def first_error(form) -> str | None:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return None
