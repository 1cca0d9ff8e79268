"""Request and response hygiene for every route.

- Security headers: a strict Content-Security-Policy without inline scripts.
- No NUL character from the query string, the URL path or a form body reaches a view
  (PostgreSQL refuses NUL in text; a clear German 400 instead of a 500). Form fields
  get the finer rules of ``core.forms.BaseForm`` on top.
"""

from flask import Flask, g, request, session
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
    """
    if request.endpoint == "static":
        return response
    response.vary.add("Accept-Language")  # the language follows the browser until the person chooses
    if is_download(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        return response
    # without loading the user again (no query here): the one loaded for the request, or a login in the session
    user = g.get("_login_user")
    if (user is not None and user.is_authenticated) or "_user_id" in session:
        control = response.cache_control
        if not control.no_store:
            control.public = False
            control.private = True
            control.no_cache = True
        response.vary.add("Cookie")
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


def init_app(app: Flask) -> None:
    policy = content_security_policy(app.config["CSP_FORM_ACTION_EXTRA"])
    app.url_value_preprocessor(refuse_nul)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return cache_control(response)
