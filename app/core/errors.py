"""Error pages in the site layout; a short message in place for htmx."""

from flask import render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, SecurityError, default_exceptions

from ..extensions import db
from .htmx import is_htmx

MESSAGES = {
    400: lambda: _("Die Anfrage war fehlerhaft. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."),
    401: lambda: _("Bitte melden Sie sich an."),
    403: lambda: _("Dafür fehlt Ihnen die Berechtigung."),
    404: lambda: _("Diese Seite gibt es nicht (mehr)."),
    405: lambda: _("Diese Aktion ist hier nicht möglich."),
    413: lambda: _("Die Daten sind zu groß."),
    422: lambda: _("Die Eingaben konnten nicht verarbeitet werden."),
    429: lambda: _("Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es dann erneut."),
    500: lambda: _("Ein unerwarteter Fehler ist aufgetreten. Wir kümmern uns darum."),
}


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
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es erneut."))

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # TRUSTED_HOSTS refused the Host header before routing: build the page's own links from BASE_URL.
        from flask.globals import request_ctx

        from .urls import base_url_adapter

        if request_ctx.url_adapter is None:
            request_ctx.url_adapter = base_url_adapter()
        return render_error(400, _("Diese Adresse kennt der Vereinsraum nicht. Bitte rufen Sie die Seite über "
                                   "die gewohnte Adresse auf."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code and error.code < 400:
            return error
        custom = error.description if getattr(error, "vereinsraum_message", False) else None
        return render_error(error.code or 500, custom)

    from .mail import MailError

    @app.errorhandler(MailError)
    def mail_error(error):
        db.session.rollback()
        return render_error(503, _("Die E-Mail konnte gerade nicht verschickt werden. Bitte versuchen Sie es in "
                                   "ein paar Minuten noch einmal."))

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500)
