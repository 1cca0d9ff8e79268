"""Locale and time zone: the visitor's language, and dates in the platform's local time (one place)."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format
from flask import current_app, g, has_request_context, request, session
from flask_babel import Domain, format_date, format_datetime, get_domain, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db


def select_locale() -> str:
    """Session choice, then the user's saved choice, then the browser's languages, then German.

    ``Accept-Language`` is matched by primary language (``en-GB``, ``en-US`` → ``en``) in the browser's
    order of preference; once the person picks a language with the switch, that choice wins.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return browser_locale(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def browser_locale(languages) -> str | None:
    """The first of the browser's languages (by quality) that we offer, by primary tag; or None."""
    for value, quality in request.accept_languages:
        primary = value.split("-")[0].split("_")[0].strip().lower()
        if quality > 0 and primary in languages:
            return primary
    return None


def remember_locale(lang: str) -> None:
    """The language switch: for this session, and saved with the account of a logged-in person."""
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()


def _translations():
    """The catalog of the current locale, looked up once per request (and again when the locale changes:
    ``force_locale`` for a mail in the recipient's language, ``refresh`` after the language switch).

    Flask-Babel's own template callables look it up on every ``_()`` in a template (the locale's name is
    built anew each time), which cost a page with fifty texts more than its database queries.
    """
    try:  # the usual case, in a few attribute reads: Flask-Babel's locale of this request is the one cached
        babel_ctx = g._flask_babel
        memo = babel_ctx.vr_translations
        if memo[0] is babel_ctx.babel_locale:
            return memo[1]
    except AttributeError:
        pass
    if not g:
        return get_translations()
    locale = get_locale()  # (creates g._flask_babel)
    translations = Domain.get_translations(get_domain())  # Flask-Babel's own lookup
    g._flask_babel.vr_translations = (locale, translations)
    return translations


class _RequestDomain(Domain):
    """Flask-Babel's default domain, with the catalog looked up once per request (:func:`_translations`): the
    ``_()``, ``ngettext`` and ``lazy_gettext`` texts of the Python code cost what the templates' do."""

    def get_translations(self):
        return _translations()


def current_language() -> str:
    """The request's language ("de", "en"), read from the locale Flask-Babel chose for it (cheap: asked for
    every localized text of a page)."""
    try:
        return g._flask_babel.babel_locale.language
    except AttributeError:
        locale = get_locale() if g else None
        return locale.language if locale is not None else "de"


def install_template_gettext(app) -> None:
    """Templates and the Python code translate through :func:`_translations` (same catalogs and semantics as
    Flask-Babel's)."""
    babel = app.extensions["babel"]
    if not isinstance(babel.instance.__dict__.get("domain_instance"), _RequestDomain):
        babel.instance.domain_instance = _RequestDomain(domain=babel.default_domain)  # (a cached property)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_tz() -> ZoneInfo:
    """The platform's time zone (``BABEL_DEFAULT_TIMEZONE``, Berlin): forms, mails and calendars use it."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Berlin")


def to_utc(local_naive: datetime) -> datetime:
    """A naive local date/time from a form (Berlin time) as aware UTC."""
    return local_naive.replace(tzinfo=local_tz()).astimezone(timezone.utc)


def to_local_naive(value: datetime) -> datetime:
    """An aware date/time as naive local time (to fill a form)."""
    return value.astimezone(local_tz()).replace(tzinfo=None)


def format_when(start: datetime, end: datetime) -> str:
    """'Dienstag, 17. März 2026, 17:00–19:00 Uhr' in local time (for e-mails and pages)."""
    tz = local_tz()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    return _(
        "%(day)s, %(start)s–%(end)s Uhr",
        day=format_date(local_start.date(), "full"),
        start=local_start.strftime("%H:%M"),
        end=local_end.strftime("%H:%M"),
    )


@functools.lru_cache(maxsize=16)
def _short_datetime_patterns(locale: Locale) -> tuple:
    """The locale's short date/time glue ("{1}, {0}") and its date and time patterns, parsed once."""
    glue = get_datetime_format("short", locale=locale).replace("'", "")
    return glue, get_date_format("short", locale=locale), get_time_format("short", locale=locale)


def format_datetime_short(value: datetime | None) -> str:
    """Flask-Babel's ``format_datetime(value, "short")`` in the platform's time zone ("03.12.26, 15:04"), with
    the locale's patterns looked up once: Babel parses the locale and both patterns on every call, which a
    list of dates pays for each row. A naive value is UTC, as for Babel."""
    if not value:
        return ""
    locale = get_locale()
    if locale is None or not isinstance(value, datetime):  # outside an application context; a date, a number
        return format_datetime(value, "short")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(local_tz())
    glue, date_pattern, time_pattern = _short_datetime_patterns(locale)
    time_text = time_pattern.apply(local.timetz(), locale, reference_date=local.date())
    return glue.replace("{0}", time_text).replace("{1}", date_pattern.apply(local.date(), locale))
