"""Request and response hygiene for every route.

- Security headers: a strict Content-Security-Policy without inline scripts.
- No NUL character from the query string, the URL path or a form body reaches a view
  (PostgreSQL refuses NUL in text; a clear German 400 instead of a 500). Form fields
  get the finer rules of ``core.forms.BaseForm`` on top.
"""

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from .errors import fail

FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: Responses that are files for the visitor (besides anything with a Content-Disposition).
DOWNLOAD_MIMETYPES = frozenset(
    {"text/csv", "application/pdf", "application/zip", "text/calendar", "application/octet-stream"}
)


def is_download(response) -> bool:
    return "Content-Disposition" in response.headers or response.mimetype in DOWNLOAD_MIMETYPES


def cache_control(response):
    """One rule for every response (static files excepted).

    - downloads (checklist CSV/PDF, exports, ICS files and feeds, statistics …): ``no-store`` –
      personal or club data must not stay in any cache;
    - pages for a logged-in visitor: ``private, no-cache`` and ``Vary: Cookie`` – never in a
      shared cache, and revalidated before reuse.

    Every response passes here: the usual case (no ``Vary`` or ``Cache-Control`` set by the view) writes the
    headers' final text, without Werkzeug's parsing and rebuilding of both.
    """
    if request.endpoint == "static":
        return response
    headers = response.headers
    download = is_download(response)
    # without loading the user again (no query here): the one loaded for the request, or a login in the session
    user = g.get("_login_user")
    private = not download and ((user is not None and user.is_authenticated) or "_user_id" in session)
    # the language follows the browser until the person chooses; a private page differs by visitor
    vary = ("Accept-Language", "Cookie") if private else ("Accept-Language",)
    if "Vary" in headers:
        response.vary.update(vary)
    else:
        headers["Vary"] = ", ".join(vary)
    if download:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    elif private:
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-cache"
        elif not response.cache_control.no_store:
            control = response.cache_control
            control.public = False
            control.private = True
            control.no_cache = True
    return response


def _has_nul(pairs) -> bool:
    return any("\x00" in key or (isinstance(value, str) and "\x00" in value) for key, value in pairs)


def refuse_nul(endpoint, values) -> None:
    """App-wide ``url_value_preprocessor``: runs before every blueprint's (the tenancy loader's too)."""
    pairs = list(request.args.items(multi=True)) + list((values or {}).items())
    if request.mimetype in FORM_MIMETYPES:
        pairs += list(request.form.items(multi=True))
    if _has_nul(pairs):
        fail(
            400,
            _(
                "Die Anfrage enthält ein Steuerzeichen (Nullzeichen), das wir nicht verarbeiten können. "
                "Bitte entfernen Sie es und versuchen Sie es noch einmal."
            ),
        )


def content_security_policy(form_action_extra=()) -> str:
    form_action = " ".join(("'self'", *form_action_extra))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        )
    )


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer built once per set of keys: Flask builds it
    anew for every request (and tries its JSON serializer on an empty dict each time to learn it returns text).
    A changed ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` builds a new one."""

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("vereinsraum.session_serializer")
        if cached is not None and cached[0] == keys:
            return cached[1]
        serializer = super().get_signing_serializer(app)
        app.extensions["vereinsraum.session_serializer"] = (keys, serializer)
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
    policy = content_security_policy(app.config["CSP_FORM_ACTION_EXTRA"])
    app.url_value_preprocessor(refuse_nul)

    defaults = [
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if app.config.get("SESSION_COOKIE_SECURE"):
        defaults.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # (a view may set its own: it wins)
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        return cache_control(response)
