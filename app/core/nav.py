"""The staff area's navigation, built from what the domains register (no template lists the domains).

A domain registers its entries from ``init_app``::

    register_staff_nav(app, _l("Team-Chat"), "chat_admin.index", order=40)

and every staff page includes ``staff/_nav.html``. An entry with ``subnav`` heads a group: entries
registered with that ``group`` form a second row, shown on the pages of their blueprints (workshops,
consultation hour and public pages share one).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for

_KEY = "vereinsraum.staff_nav"


@dataclass(frozen=True)
class NavEntry:
    label: object  # lazy text
    endpoint: str
    order: int
    active: tuple[str, ...]  # endpoints, or prefixes ending in "." (a whole blueprint), that mark it current
    group: str | None = None  # a second-row entry of this group
    subnav: str | None = None  # heads the group of this name

    def matches(self, endpoint: str | None) -> bool:
        return bool(endpoint) and any(
            endpoint == a or (a.endswith(".") and endpoint.startswith(a)) for a in self.active
        )


def register_staff_nav(
    app: Flask,
    label,
    endpoint: str,
    *,
    order: int,
    active: tuple[str, ...] = (),
    group: str | None = None,
    subnav: str | None = None,
) -> None:
    entries = app.extensions.setdefault(_KEY, [])
    entries.append(NavEntry(label, endpoint, order, tuple(active) or (endpoint,), group, subnav))
    entries.sort(key=lambda entry: entry.order)


def _blueprints(entries) -> set[str]:
    return {entry.endpoint.split(".")[0] for entry in entries}


def staff_nav() -> dict:
    """``top``: [(entry, current)], ``sub``: the current group's [(entry, current)] or [], ``sub_label``."""
    entries = current_app.extensions.get(_KEY, [])
    endpoint = request.endpoint
    blueprint = (endpoint or "").split(".")[0]
    top, sub, sub_label = [], [], None
    for head in (entry for entry in entries if entry.group is None):
        members = [entry for entry in entries if head.subnav and entry.group == head.subnav]
        in_group = bool(members) and blueprint in _blueprints(members)
        top.append((head, head.matches(endpoint) or in_group))
        if in_group:
            sub, sub_label = [(entry, entry.matches(endpoint)) for entry in members], head.label
    return {"top": top, "sub": sub, "sub_label": sub_label}


def init_app(app: Flask) -> None:
    app.add_template_global(staff_nav, "staff_nav")


_HOME_KEY = "vereinsraum.staff_home"


def set_staff_home(app: Flask, endpoint: str, **values) -> None:
    """Where platform staff land after logging in (the staff area registers its review queue)."""
    app.extensions[_HOME_KEY] = (endpoint, values)


def staff_home_url() -> str | None:
    home = current_app.extensions.get(_HOME_KEY)
    return url_for(home[0], **home[1]) if home else None
