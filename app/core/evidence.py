"""Evidence on checklist items: what the platform itself knows that answers an item.

A domain registers a provider for a checklist item key from its ``init_app``::

    register_evidence(app, "proc-avv", agreement_evidence)

and the self-check shows, below the item, every line the providers for that key return for the
current club (``checklist_evidence(item_key)`` in templates, ``evidence_for(club, key)`` in code).
A provider is ``provider(club) -> list`` of lines: a ``str`` or an :class:`Evidence` (text plus an
optional link). So the checklist shows facts from other domains without importing them, and an item
without providers shows nothing extra. Like template hooks (``hooks.py``), nothing here knows a domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g

_KEY = "vereinsraum.checklist_evidence"


@dataclass(frozen=True)
class Evidence:
    text: str
    url: str | None = None


def register_evidence(app: Flask, item_key: str, provider: Callable) -> None:
    app.extensions.setdefault(_KEY, {}).setdefault(item_key, []).append(provider)


def evidence_keys() -> set[str]:
    """The item keys that have at least one provider."""
    return set(current_app.extensions.get(_KEY, {}))


def evidence_for(club, item_key: str) -> list[Evidence]:
    """Every line the providers for ``item_key`` return for ``club``, in the order they registered."""
    if club is None:
        return []
    lines = []
    for provider in current_app.extensions.get(_KEY, {}).get(item_key, ()):
        for line in provider(club) or ():
            lines.append(line if isinstance(line, Evidence) else Evidence(str(line)))
    return lines


def checklist_evidence(item_key: str) -> list[Evidence]:
    """For templates: the evidence for an item of the club of the current request (``g.club``).

    Asked once per key and request, and only for keys that have a provider: a page runs the same queries
    however many items it shows, and saving an item without providers runs none.
    """
    cache = g.get("_checklist_evidence")
    if cache is None:
        cache = g._checklist_evidence = {}
    if item_key not in cache:
        cache[item_key] = evidence_for(g.get("club"), item_key) if item_key in evidence_keys() else []
    return cache[item_key]


def init_app(app: Flask) -> None:
    app.add_template_global(checklist_evidence, "checklist_evidence")
