from ..core.htmx import render_page
from ..core.tenancy import club_access
from . import bp


@bp.get("/")
@club_access("member")
def panel():
    return render_page("chat/panel.html", "chat/partials/_panel.html")
