from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class BaseForm(FlaskForm):
    """The project's form base: every form inherits it, so rules for all fields live in one place."""


class EmptyForm(BaseForm):
    """CSRF protection for POST-only buttons."""


def _language_choices():
    # A callable: literal tuple choices are deprecated in WTForms 3.3 (a warning, an error in tests).
    return [("de", "Deutsch"), ("en", "English")]


class LanguageForm(BaseForm):
    lang = SelectField(_l("Sprache"), choices=_language_choices)
    next = HiddenField()


def first_error(form) -> str | None:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return None
