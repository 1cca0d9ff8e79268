"""The guide: the workspace panel (/c/<slug>/leitfaden) and the public handbook, knowledge base and search."""

from flask import Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.errors import fail
from ..core.htmx import render_page
from ..core.tenancy import club_access
from . import bp, handbook, services
from .rendering import render_markdown


def panel_context() -> dict:
    """The workspace panel's context (the workspace page renders the panel inline with it)."""
    return services.panel_links(g.club)


@bp.get("/")
@club_access("member")
def panel():
    return render_page("guide/panel.html", "guide/partials/_panel.html", **panel_context())


# --- the public handbook, knowledge base and search (no login needed) --------------------------------


def _page_context(page):
    text = services.localized(page)
    return {"page": page, "text": text, "rendered": render_markdown(text.body)}


@handbook.get("/leitfaden/")
def index():
    chapters = services.published("chapter")
    return render_template(
        "guide/handbook/index.html",
        chapters=chapters,
        templates=services.published("template"),
        glossary=services.published_page("article", "glossar"),
        localized=services.localized,
    )


@handbook.get("/leitfaden/<chapter_id>")
def chapter(chapter_id):
    page = services.published_page("chapter", chapter_id)
    if page is None:
        abort(404)
    chapters = services.published("chapter")
    position = [p.id for p in chapters].index(page.id)
    return render_template(
        "guide/handbook/chapter.html",
        **_page_context(page),
        previous=chapters[position - 1] if position > 0 else None,
        next=chapters[position + 1] if position + 1 < len(chapters) else None,
        checklist_items=services.checklist_items_for(page.slug),
        checklist_clubs=_my_active_clubs(),
        localized=services.localized,
    )


def _my_active_clubs():
    """The visitor's clubs, to link the checklist items to their own self-check."""
    if not current_user.is_authenticated:
        return []
    return [m.club for m in current_user.memberships if m.club.is_readable]


@handbook.get("/leitfaden/vorlagen/<slug>")
def template(slug):
    page = services.published_page("template", slug)
    if page is None:
        abort(404)
    return render_template("guide/handbook/template.html", **_page_context(page))


@handbook.get("/leitfaden/vorlagen/<slug>.<fmt>")
def download(slug, fmt):
    page = services.published_page("template", slug)
    if page is None or fmt not in ("txt", "md"):
        abort(404)
    text = services.localized(page)
    body = f"{text.title}\n\n{text.body}" if fmt == "txt" else f"# {text.title}\n\n{text.body}"
    mime = "text/plain" if fmt == "txt" else "text/markdown"
    response = Response(body.replace("\n", "\r\n") if fmt == "txt" else body, mimetype=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{page.slug}.{fmt}"'
    return response


@handbook.get("/wissen/")
def articles():
    category = request.args.get("kategorie") or None
    if category is not None and category not in services.ARTICLE_CATEGORIES:
        fail(400, _("Diese Kategorie gibt es nicht. Bitte wählen Sie eine Kategorie aus der Liste."))
    return render_template(
        "guide/handbook/articles.html",
        groups=services.articles_by_category(category),
        categories=services.ARTICLE_CATEGORIES,
        category=category,
        localized=services.localized,
    )


@handbook.get("/wissen/<slug>")
def article(slug):
    page = services.published_page("article", slug)
    if page is None:
        abort(404)
    return render_template(
        "guide/handbook/article.html",
        **_page_context(page),
        category_label=services.ARTICLE_CATEGORIES.get(page.category),
        checklist_items=services.related_checklist_items(page),
        checklist_clubs=_my_active_clubs(),
    )


KIND_ENDPOINTS = {
    "chapter": ("handbook.chapter", "chapter_id"),
    "article": ("handbook.article", "slug"),
    "template": ("handbook.template", "slug"),
}


def page_url(page) -> str:
    endpoint, arg = KIND_ENDPOINTS[page.kind]
    return url_for(endpoint, **{arg: page.slug})


@handbook.app_template_global("content_url")
def content_url(page):
    return page_url(page)


@handbook.get("/suche")
def search():
    query = (request.args.get("q") or "")[:200].strip()
    results = services.run_search(query) if query else []
    context = {"query": query, "results": results, "localized": services.localized}
    return render_page("guide/handbook/search.html", "guide/handbook/partials/_results.html", **context)
