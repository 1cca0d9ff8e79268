"""Very large ids in URLs answer 404, never 500 (issue 12, item 9): one bounded ``int`` converter app-wide."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from app.core.converters import MAX_DB_INT, BoundedIntConverter, check_rules, unbounded_int_rules

HUGE = "99999999999999999999999"
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _urls_with_int(app, value: str, slug: str):
    """(method, url) for every rule that has an integer argument, all of them set to ``value``."""
    for rule in app.url_map.iter_rules():
        ints = {name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)}
        if not ints:
            continue

        def fill(match):
            name = match.group(1)
            return value if name in ints else (slug if name == "slug" else "x")  # noqa: B023 - used at once

        url = ARGUMENT.sub(fill, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_int_argument_is_bounded(app):
    assert unbounded_int_rules(app) == []
    converters = [
        c for rule in app.url_map.iter_rules() for c in rule._converters.values() if isinstance(c, IntegerConverter)
    ]
    assert len(converters) > 30
    assert all(isinstance(c, BoundedIntConverter) and c.max == MAX_DB_INT for c in converters)


@pytest.mark.parametrize("who", ["anonymous", "member", "board", "staff"])
def test_huge_ids_answer_404_on_every_route(app, roles, client_for, who):
    client = client_for(None if who == "anonymous" else getattr(roles, who))
    checked = 0
    for method, url in _urls_with_int(app, HUGE, roles.club.slug):
        response = client.open(url, method=method)
        assert response.status_code == 404, f"{method} {url} as {who} -> {response.status_code}"
        checked += 1
    assert checked > 30


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_largest_database_integer_is_looked_up_and_not_found(app, roles, client_for, who):
    client = client_for(None if who == "anonymous" else roles.staff)
    for method, url in _urls_with_int(app, str(MAX_DB_INT), roles.club.slug):
        response = client.open(url, method=method)
        assert response.status_code < 500, f"{method} {url} as {who} -> {response.status_code}"


def test_the_examples_from_the_issue(client, roles, client_for):
    assert client.get(f"/workshops/{HUGE}").status_code == 404
    assert client_for(roles.staff).get(f"/admin/vereine/{HUGE}").status_code == 404
    assert client_for(roles.staff).get(f"/admin/vereine/{MAX_DB_INT + 1}").status_code == 404


def test_a_rule_made_before_the_converter_stops_the_app():
    early = Flask(__name__)
    early.add_url_rule("/x/<int:item>", "x", lambda item: "")
    with pytest.raises(RuntimeError, match="without an upper bound"):
        check_rules(early)


def test_a_huge_club_id_in_the_audit_filter_is_an_unknown_club(roles, client_for):
    response = client_for(roles.staff).get(f"/admin/protokoll?verein_id={HUGE}")
    assert response.status_code < 500
    assert "Unbekannter Verein." in response.get_data(as_text=True)
