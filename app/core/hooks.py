"""Template hooks: a page shows what other domains register for it (Indico's template hooks).

A domain registers a function from its ``init_app``::

    register_template_hook(app, "start-page", render_start_section, priority=10)

and the page that owns the hook renders everything registered for it with
``{{ template_hook("start-page") }}``. Each function returns markup (or ``""``); lower ``priority``
comes first. So the start page (app.pages) shows workshops and the consultation hour without importing
them, and a page shows nothing extra when nothing is registered.
"""

from __future__ import annotations

from flask import Flask, current_app
from markupsafe import Markup

_KEY = "vereinsraum.template_hooks"


def register_template_hook(app: Flask, name: str, fn, priority: int = 50) -> None:
    hooks = app.extensions.setdefault(_KEY, {}).setdefault(name, [])
    hooks.append((priority, len(hooks), fn))
    hooks.sort(key=lambda entry: entry[:2])


def template_hook(name: str, **kwargs) -> Markup:
    """The markup every function registered for ``name`` returns, in order."""
    hooks = current_app.extensions.get(_KEY, {}).get(name, ())
    return Markup("").join(Markup(fn(**kwargs) or "") for _priority, _n, fn in hooks)


def init_app(app: Flask) -> None:
    app.add_template_global(template_hook, "template_hook")
