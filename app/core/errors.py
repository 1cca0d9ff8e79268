"""Error pages in the site layout; a short message in place for htmx; loops that carry on."""

import functools
import logging

from flask import current_app, render_template
from flask.globals import request_ctx
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError, default_exceptions

from ..extensions import db
from .htmx import is_htmx
from .jobs import JobQueueUnavailable
from .mail import MailError
from .urls import base_url_adapter

MESSAGES = {
    400: lambda: _("Die Anfrage war fehlerhaft. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."),
    401: lambda: _("Bitte melden Sie sich an."),
    403: lambda: _("Dafür fehlt Ihnen die Berechtigung."),
    404: lambda: _("Diese Seite gibt es nicht (mehr)."),
    405: lambda: _("Diese Aktion ist hier nicht möglich."),
    413: lambda: _(
        "Die gesendeten Daten sind zu groß (höchstens %(size)s). Bitte kürzen Sie Ihre Eingabe und "
        "versuchen Sie es noch einmal.",
        size=_size(current_app.config.get("MAX_CONTENT_LENGTH")),
    ),
    422: lambda: _("Die Eingaben konnten nicht verarbeitet werden."),
    429: lambda: _("Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es dann erneut."),
    500: lambda: _("Ein unerwarteter Fehler ist aufgetreten. Wir kümmern uns darum."),
}


log = logging.getLogger(__name__)


class carry_on:  # noqa: N801 - used like a function: ``with carry_on(...)``
    """One failure in a loop over clubs or recipients is logged, and the loop goes on.

    ``with carry_on("privacy reminders for club %s", club.id) as step: ...`` – an exception
    in the block rolls the session back (what the block did is undone), is logged with the
    description, and is swallowed; ``step.failed`` tells the caller.
    """

    def __init__(self, what: str, *args):
        self.what, self.args, self.failed = what, args, False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, Exception):
            return False
        self.failed = True
        try:
            db.session.rollback()
        finally:
            log.error(self.what + " failed; carrying on", *self.args, exc_info=(exc_type, exc, tb))
        return True


def never_raises(fn):
    """For one mail per person sent in a loop: a failure is logged and returns False; the loop goes on."""

    @functools.wraps(fn)
    def run(*args, **kwargs) -> bool:
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - logged; the others still get their mail
            log.exception("%s failed", fn.__name__)
            return False

    return run


def _size(limit) -> str:
    if not limit:
        return "?"
    return f"{format_decimal(round(limit / 1024 / 1024, 1))} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def fail(code: int, message: str):
    """Abort with a specific, user-facing (German) message."""
    error = default_exceptions[code](description=message)
    error.vereinsraum_message = True
    raise error


def render_error(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    template = "errors/_message.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, message=message), code


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es erneut.")
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # TRUSTED_HOSTS refused the Host header before routing: build the page's own links from BASE_URL.
        if request_ctx.url_adapter is None:
            request_ctx.url_adapter = base_url_adapter()
        return render_error(
            400,
            _("Diese Adresse kennt der Vereinsraum nicht. Bitte rufen Sie die Seite über die gewohnte Adresse auf."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code and error.code < 400:
            return error
        custom = error.description if getattr(error, "vereinsraum_message", False) else None
        return render_error(error.code or 500, custom)

    @app.errorhandler(MailError)
    def mail_error(error):
        db.session.rollback()
        return render_error(
            503,
            _(
                "Die E-Mail konnte gerade nicht verschickt werden. Bitte versuchen Sie es in "
                "ein paar Minuten noch einmal."
            ),
        )

    @app.errorhandler(JobQueueUnavailable)
    def queue_unavailable(error):
        # Raised while the request enqueued a background job (before it committed): undo everything.
        db.session.rollback()
        response = render_error(
            503,
            _(
                "Der Auftrag konnte gerade nicht angenommen werden, weil ein Hintergrunddienst "
                "nicht erreichbar ist. Es wurde nichts gespeichert. Bitte versuchen Sie es in "
                "ein paar Minuten erneut."
            ),
        )
        return response[0], 503, {"Retry-After": "120"}

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500)
