"""The core's own pages: health check and language switch."""

from urllib.parse import urlsplit

from flask import current_app, jsonify, redirect, request

from . import bp
from .forms import LanguageForm
from .health import report
from .i18n import remember_locale


@bp.get("/healthz")
def healthz():
    """Database, Redis, the worker's heartbeat and the queue depth; 503 when one of them is down."""
    body, status = report()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None, fallback: str) -> str:
    """Only allow local redirect targets (no open redirects)."""
    if not target or "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback  # browsers read "/\\host" as "//host" and drop tabs and newlines
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.post("/sprache")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        remember_locale(form.lang.data)
    return redirect(
        safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path, request.script_root + "/"),
        code=303,
    )
