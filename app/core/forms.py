from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class EmptyForm(FlaskForm):
    """CSRF protection for POST-only buttons."""


def _language_choices():
    # A callable: literal tuple choices are deprecated in WTForms 3.3 (a warning, an error in tests).
    return [("de", "Deutsch"), ("en", "English")]


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Sprache"), choices=_language_choices)
    next = HiddenField()


def first_error(form) -> str | None:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return None
