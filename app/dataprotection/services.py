"""The person's and the club's data, collected by walking the registry; the generated privacy policy.

Export (``exports.py``), erasure (``erasure.py``) and club closure (``closure.py``) build on this module.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from . import registry
from .registry import former_member
from .retention import CATEGORIES, category, periods


class DataProtectionError(Exception):
    """A user-facing problem (German message)."""


def pseudonym(kind: str, ident) -> str:
    """Stable, non-reversible stand-in for a person or club (same input, same pseudonym)."""
    key = current_app.config["SECRET_KEY"].encode()
    return "p-" + hmac.new(key, f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()[:16]


def author_label(user) -> str:
    """Display name for content whose author may have deleted the account."""
    return user.name if user is not None else former_member()


# --- collecting data -------------------------------------------------------------------------------


def user_data(user) -> dict[str, dict[str, list[dict]]]:
    """Everything stored about ``user``: {category: {table: [rows]}}; every declared model appears."""
    data: dict[str, dict[str, list[dict]]] = {}
    for model, policy in registry.declared():
        if policy.user_export is not None:
            rows = policy.user_export(user)
        else:
            clause = registry.user_clause(model, policy, user)
            rows = [registry.row_dict(obj, policy) for obj in registry.rows_for(model, clause)]
        data.setdefault(policy.category, {})[model.__tablename__] = rows
    return data


def club_data(club) -> dict[str, list[dict]]:
    """Everything the club has on the platform: {table: [rows]}.

    Every declared model appears except the staff-only ones (``Policy.staff_only``, e.g. staff notes);
    staff-only columns are left out of the rows, staff-only audit actions out of the audit log.
    """
    data = {}
    for model, policy in registry.declared():
        if policy.staff_only:
            continue
        if policy.club_export is not None:
            rows = policy.club_export(club)
        else:
            clause = registry.club_clause(model, policy, club)
            rows = [registry.row_dict(obj, policy) for obj in registry.rows_for(model, clause)]
        if policy.staff_only_columns:
            rows = [{k: v for k, v in row.items() if k not in policy.staff_only_columns} for row in rows]
        data[model.__tablename__] = rows
    return data


def user_overview(user) -> list[dict]:
    """For "Meine Daten": per category title, purpose, retention and number of entries."""
    counts: dict[str, int] = {}
    for cat, tables in user_data(user).items():
        counts[cat] = counts.get(cat, 0) + sum(len(rows) for rows in tables.values())
    result = []
    for key, count in counts.items():
        cat = category(key)
        result.append(
            {"key": key, "title": cat.title, "purpose": cat.purpose, "retention": cat.retention(), "count": count}
        )
    return result


# --- the generated privacy policy ------------------------------------------------------------------


def _host(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return parts.hostname or url


def privacy_facts() -> dict:
    """What the privacy policy states, read from the running configuration."""
    config = current_app.config
    processors = [{"purpose": _("Betrieb der Plattform (Webserver, Datenbank)"), "host": _host(config["BASE_URL"])}]
    if config.get("MAIL_SERVER"):
        processors.append(
            {
                "purpose": _("Versand von E-Mails (Bestätigungen, Einladungen, Benachrichtigungen)"),
                "host": config["MAIL_SERVER"],
            }
        )
    if config.get("BBB_API_URL"):
        processors.append({"purpose": _("Videokonferenzen (BigBlueButton)"), "host": _host(config["BBB_API_URL"])})
    if config.get("MATTERMOST_URL"):
        processors.append({"purpose": _("Team-Chat (Mattermost)"), "host": _host(config["MATTERMOST_URL"])})
    cookies = [
        {
            "name": config["SESSION_COOKIE_NAME"],
            "purpose": _(
                "Anmeldung und Schutz von Formularen; endet mit der Sitzung (höchstens %(days)s Tage).",
                days=config["PERMANENT_SESSION_LIFETIME"].days,
            ),
        },
        {
            "name": config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            "purpose": _(
                "Nur wenn Sie „Angemeldet bleiben“ wählen: hält Sie %(days)s Tage angemeldet.",
                days=config["REMEMBER_COOKIE_DURATION"].days,
            ),
        },
    ]
    return {
        "controller": config.get("PRIVACY_CONTROLLER"),
        "processors": processors,
        "categories": [
            {"title": c.title, "purpose": c.purpose, "retention": c.retention()} for c in CATEGORIES.values()
        ],
        "periods": periods(),
        "cookies": cookies,
    }
