"""URL converters used by every route.

``<int:...>`` is replaced app-wide (``init_app`` runs before any blueprint is
registered) by :class:`BoundedIntConverter`: an id larger than the database's
``INTEGER`` can never match a row, so it answers 404 instead of reaching the
database (SQLite raises ``OverflowError``, PostgreSQL "integer out of range").
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

#: The largest value of a (signed, 32-bit) INTEGER column on PostgreSQL; SQLite ids stay below it too.
MAX_DB_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """Like werkzeug's ``int``, with ``max`` defaulting to :data:`MAX_DB_INT` (larger values: 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_DB_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_DB_INT if max is None else max, signed=signed)


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered: a rule keeps the converter it was made with."""
    app.url_map.converters["int"] = BoundedIntConverter


def unbounded_int_rules(app: Flask) -> list[str]:
    """Rules whose integer arguments have no upper bound (should be none)."""
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()  # noqa: SLF001 - werkzeug keeps them here
        if isinstance(converter, IntegerConverter) and converter.max is None
    ]


def check_rules(app: Flask) -> None:
    """Stop the app from starting when a rule slipped past the bounded converter."""
    unbounded = unbounded_int_rules(app)
    if unbounded:
        raise RuntimeError(f"<int:> without an upper bound in {unbounded}: call converters.init_app first")
