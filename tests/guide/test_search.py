import sqlalchemy as sa

from app.extensions import db
from app.guide import search, services
from app.guide.models import ContentPage, ContentRevision
from tests.conftest import HX


def _page(kind, slug):
    return db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == kind, ContentPage.slug == slug))


def _slugs(query, lang="de"):
    return [page.slug for page, _ in services.run_search(query, lang)]


def test_index_uses_the_engine_of_the_database(synced):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        kind = db.session.scalar(
            sa.text(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'content_search' "
                "AND column_name = 'document'"
            )
        )
        assert kind == "tsvector"
    else:
        sql = db.session.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'content_search'"))
        assert "VIRTUAL TABLE" in sql.upper() and "fts5" in sql
    assert db.session.scalar(sa.text("SELECT count(*) FROM content_search")) > 25


def test_finds_published_chapters_articles_and_templates(synced):
    assert "mitgliederlisten" in _slugs("Minderheit")
    assert "rundmails" in _slugs("BCC")
    assert "sicher-im-netz" in _slugs("Passwortmanager")
    assert "loeschprotokoll" in _slugs("Löschprotokoll")
    assert _slugs("Führungszeugnis")[:2] != []


def test_prefix_and_several_words(synced):
    assert "datenpanne" in _slugs("Datenpan")  # as you type
    results = _slugs("Fotos Einwilligung")
    assert "veroeffentlichung" in results and "datenpanne" not in results


def test_results_carry_a_highlighted_snippet(synced):
    [(page, snippet), *_] = services.run_search("Bundesgerichtshof")
    assert page.slug == "mitgliederlisten"
    assert "<mark>Bundesgerichtshof</mark>" in str(snippet)


def test_english_search_uses_english_text(synced):
    assert "auskunft" in _slugs("access request", "en")
    assert _slugs("Auskunftsanfrage", "en") == []


def test_query_syntax_cannot_break_the_search(synced):
    for query in ('"', "foo*", "a OR b NOT (c", "':*&|!", "NEAR(x y)", "-", "ä" * 300, "%_\\"):
        services.run_search(query)  # no error
    assert services.run_search("   ") == []


def test_drafts_and_withdrawn_pages_are_not_found(synced, roles):
    page = _page("chapter", "website")
    services.save(
        page,
        {**{f: getattr(page, f) for f in ContentRevision.FIELDS}, "body": "Zauberwort"},
        author=roles.staff,
        publish=False,
    )
    db.session.commit()
    assert _slugs("Zauberwort") == []
    services.publish_revision(page, page.draft)
    db.session.commit()
    assert _slugs("Zauberwort") == ["website"]
    services.withdraw(page)
    db.session.commit()
    assert _slugs("Zauberwort") == []


def test_rebuild_reindexes_everything(synced):
    search.clear()
    assert _slugs("Minderheit") == []
    assert search.rebuild() == sum(len(services.published(kind)) for kind in ("chapter", "article", "template"))
    assert "mitgliederlisten" in _slugs("Minderheit")


def test_search_page_works_without_javascript(synced, client):
    response = client.get("/suche?q=Schreddern")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in text
    assert 'href="/leitfaden/sicherheit"' in text
    assert 'hx-get="/suche"' in text and 'name="q"' in text and 'action="/suche"' in text
    empty = client.get("/suche").get_data(as_text=True)
    assert "Geben Sie einen Suchbegriff ein" in empty
    none = client.get("/suche?q=xylophonquartett").get_data(as_text=True)
    assert "Keine Treffer" in none


def test_active_search_returns_only_the_results(synced, client):
    response = client.get("/suche?q=Schreddern", headers={**HX, "HX-Target": "search-results"})
    text = response.get_data(as_text=True)
    assert "<html" not in text and 'href="/leitfaden/sicherheit"' in text
    assert "HX-Request" in response.headers["Vary"]
