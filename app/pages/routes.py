from flask import redirect, render_template, url_for
from flask_login import current_user

from . import bp
from .services import get_page


@bp.get("/")
def index():
    """The start page; logged-in people go straight to their clubs."""
    if current_user.is_authenticated:
        return redirect(url_for("clubs.mine"))
    # Workshops and the consultation hour add their sections through the "start-page" template hook.
    return render_template("pages/start.html", page=get_page("start"))


def _show(slug: str, template: str = "pages/page.html"):
    return render_template(template, page=get_page(slug))


@bp.get("/leichte-sprache")
def easy_language():
    return _show("leichte-sprache")


@bp.get("/angebote")
def services():
    return _show("angebote")


@bp.get("/barrierefreiheit")
def accessibility():
    return _show("barrierefreiheit")


@bp.get("/datenschutz")
def privacy():
    return _show("datenschutz", "pages/privacy.html")
