"""One view, two renderings: the full page, or only its partial for htmx.

``render_page("clubs/members.html", "clubs/partials/_members.html", **ctx)``
returns the partial on an htmx request (but not on a history restore, which
needs the whole page) and the page otherwise. The page template includes the
partial, so the markup has one source. ``Vary: HX-Request`` keeps caches honest.
"""

from __future__ import annotations

from flask import make_response, redirect, render_template, request


def is_htmx() -> bool:
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.history_restore_request


def render_page(page: str, partial: str, status: int = 200, **context):
    template = partial if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def hx_redirect(url: str):
    """After a successful htmx form: let htmx navigate; plain forms get a 303."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
