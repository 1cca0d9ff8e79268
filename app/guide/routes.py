"""The guide panel in the club workspace."""

from flask import g

from ..core.htmx import render_page
from ..core.tenancy import club_access
from . import bp, services


@bp.get("/")
@club_access("member")
def panel():
    suggestions = services.suggested_chapters(g.club)
    chapters = services.published("chapter")
    return render_page("guide/panel.html", "guide/partials/_panel.html", suggestions=suggestions,
                       chapter_count=len(chapters), templates=services.published("template"),
                       localized=services.localized)
