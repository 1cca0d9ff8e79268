from ..core.htmx import render_page
from ..core.tenancy import club_access
from . import bp


@bp.get("/")
@club_access("member")
def panel():
    return render_page("guide/panel.html", "guide/partials/_panel.html")
