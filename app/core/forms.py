from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from .text import has_control


def _label(field) -> str:
    return str(field.label.text) if field.label and field.label.text else str(field.name)


def single_line(form, field):
    """Names, titles, addresses: one line, no control characters (they end up in mail headers)."""
    if isinstance(field.data, str) and has_control(field.data):
        raise ValidationError(
            _l("„%(field)s“ darf keine Zeilenumbrüche oder Steuerzeichen enthalten.", field=_label(field))
        )


def no_nul(form, field):
    """No NUL character in any text (PostgreSQL refuses it)."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError(_l("„%(field)s“ darf keine Steuerzeichen (Nullzeichen) enthalten.", field=_label(field)))


def text_rules(field) -> list:
    """The validators every text field of a given kind gets, whatever its form declares."""
    if not isinstance(field, StringField):  # TextAreaField, PasswordField, EmailField, … are StringFields
        return []
    if isinstance(field, (TextAreaField, PasswordField)):
        return [no_nul]
    return [single_line]  # NUL is a control character too


class BaseForm(FlaskForm):
    """The project's form base: every form inherits it, so rules for all fields live in one place.

    ``Meta.bind_field`` gives every single-line text field (``StringField`` and its kin, not
    ``TextAreaField``) the :func:`single_line` rule and every multi-line or password field the
    :func:`no_nul` rule, so no form can forget them.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            rules = text_rules(field)
            if rules:
                # a new list: the declared one is shared by every instance of the form
                field.validators = [*rules, *field.validators]
            return field


class EmptyForm(BaseForm):
    """CSRF protection for POST-only buttons."""


def choices_from(mapping: dict):
    """Choices for a ``SelectField`` from {value: label}, read when the form is built (lazy labels stay lazy)."""
    return lambda: [SelectChoice(key, label) for key, label in mapping.items()]


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
