"""Single-line fields refuse line breaks and control characters, in every form (issue 12, item 10)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField

import app as app_package
from app.core.forms import BaseForm
from app.extensions import db
from tests.conftest import HX, PASSWORD

REFUSED = [
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\x00",
    "\t",
    "\x7f",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\u00ad",
]
ACCEPTED = [
    "Imkerverein Pankow",
    "Förderverein Straße 1 e. V.",
    "Café “Zur Wabe”",
    "Familie 👨\u200d👩\u200d👧",
    "ناصر\u200cی",
]
MESSAGE = "darf keine Zeilenumbrüche oder Steuerzeichen enthalten."


def all_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name not in ("app.worker", "app.devserver"):
            importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("app.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def single_line_fields(form):
    return [f for f in form if isinstance(f, StringField) and not isinstance(f, (TextAreaField, PasswordField))]


def test_every_form_inherits_the_base_form():
    forms = all_form_classes()
    assert len(forms) > 30
    assert [f for f in forms if not issubclass(f, BaseForm)] == []


@pytest.mark.parametrize("char", REFUSED, ids=repr)
def test_every_single_line_field_of_every_form_refuses(app, char):
    checked = 0
    for form_class in all_form_classes():
        with app.test_request_context(method="POST"):
            names = [f.name for f in single_line_fields(form_class(formdata=None))]
            form = form_class(formdata=MultiDict({name: f"Imker{char}verein Pankow" for name in names}))
            for field in single_line_fields(form):
                field.validate(form)
                assert any(MESSAGE in str(e) for e in field.errors), (
                    f"{form_class.__name__}.{field.name} took {char!r}: {field.errors}"
                )
                assert str(field.label.text) in str(field.errors[0])  # names the field, comes first
                checked += 1
    assert checked > 30


def test_ordinary_names_pass_the_rule(app):
    for form_class in all_form_classes():
        with app.test_request_context(method="POST"):
            names = [f.name for f in single_line_fields(form_class(formdata=None))]
            for value in ACCEPTED:
                form = form_class(formdata=MultiDict({name: value for name in names}))
                for field in single_line_fields(form):
                    field.validate(form)
                    assert not any(MESSAGE in str(e) for e in field.errors), (form_class.__name__, field.name, value)


def test_text_areas_keep_their_lines_but_refuse_nul(app):
    areas = 0
    for form_class in all_form_classes():
        with app.test_request_context(method="POST"):
            names = [f.name for f in form_class(formdata=None) if isinstance(f, TextAreaField)]
            if not names:
                continue
            form = form_class(formdata=MultiDict({name: "Zeile eins\r\nZeile zwei\u2028drei" for name in names}))
            for name in names:
                form[name].validate(form)
                assert not any("Steuerzeichen" in str(e) for e in form[name].errors), (form_class.__name__, name)
            form = form_class(formdata=MultiDict({name: "Zeile\x00eins" for name in names}))
            for name in names:
                form[name].validate(form)
                assert any("Nullzeichen" in str(e) for e in form[name].errors), (form_class.__name__, name)
                areas += 1
    assert areas > 10


def test_the_rule_is_not_added_twice(app):
    from app.clubs.forms import ClubForm

    with app.test_request_context(method="POST"):
        for _ in range(3):
            form = ClubForm(formdata=None)
    assert len(form.name.validators) == len(ClubForm.name.kwargs["validators"]) + 1


# --- through HTTP: a clear German message, 422, nothing written --------------------------------------


def test_registration_refuses_a_name_with_a_line_separator(client, mailbox):
    from app.auth.models import User

    data = {
        "name": "Erika\u2028Muster",
        "email": "erika@example.org",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
    }
    response = client.post("/konto/registrieren", data=data)
    assert response.status_code == 422
    assert "„Name“ darf keine Zeilenumbrüche oder Steuerzeichen enthalten." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "name",
    ["Imkerverein\u2028Pankow", "Imkerverein\x0bPankow", "Imkerverein\x85Pankow", "Imkerverein\x1cPankow"],
    ids=repr,
)
def test_club_registration_refuses_control_characters(roles, client_for, name):
    from app.clubs.models import Club

    before = db.session.scalar(sa.select(sa.func.count()).select_from(Club))
    data = {"name": name, "legal_form": "ev", "district": "Pankow", "contact_email": "info@verein.example"}
    response = client_for(roles.member).post("/vereine/neu", data=data, headers=HX)
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Club)) == before
