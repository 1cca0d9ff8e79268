import sqlalchemy as sa

from app.extensions import db
from app.guide import services
from app.guide.models import ContentPage, ContentRevision
from tests.conftest import HX


def _page(kind, slug):
    return db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == kind, ContentPage.slug == slug))


def _fields(page, **changes):
    return {**{f: getattr(page, f) for f in ContentRevision.FIELDS}, **changes}


def test_guide_is_public_without_login(synced, client):
    index = client.get("/leitfaden/")
    assert index.status_code == 200
    text = index.get_data(as_text=True)
    for chapter_id in services.CHAPTER_IDS:
        assert f'href="/leitfaden/{chapter_id}"' in text
    assert 'href="/leitfaden/vorlagen/einwilligung-fotos"' in text


def test_chapter_page_shows_toc_legal_references_and_official_links(synced, client):
    response = client.get("/leitfaden/loeschfristen")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1" in text and "Austritt, Aufbewahrung und Löschung" in text
    assert 'class="toc"' in text and 'href="#rechtsgrundlagen"' in text and 'id="rechtsgrundlagen"' in text
    assert "§ 147" in text and "8 Jahre" in text
    assert 'href="https://www.datenschutzkonferenz-online.de/kurzpapiere.html"' in text
    assert 'rel="next" href="/leitfaden/auskunft"' in text


def test_unknown_or_unpublished_pages_are_404(synced, client):
    assert client.get("/leitfaden/gibt-es-nicht").status_code == 404
    assert client.get("/wissen/gibt-es-nicht").status_code == 404
    services.withdraw(_page("chapter", "website"))
    db.session.commit()
    assert client.get("/leitfaden/website").status_code == 404
    assert 'href="/leitfaden/website"' not in client.get("/leitfaden/").get_data(as_text=True)


def test_english_interface_shows_english_text(synced, client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    text = client.get("/leitfaden/auskunft").get_data(as_text=True)
    assert "Access requests and other rights" in text and "within one month" in text
    assert "Auskunftsanfragen und andere Rechte" not in text


def test_english_falls_back_to_german_with_a_note(synced, client, roles):
    page = _page("article", "sicher-im-netz")
    services.save(page, _fields(page, body_en="", title_en=""), author=roles.staff, publish=True)
    db.session.commit()
    with client.session_transaction() as session:
        session["lang"] = "en"
    text = client.get("/wissen/sicher-im-netz").get_data(as_text=True)
    assert "not yet available in English" in text and "Starke, einzigartige Passwörter" in text


def test_template_page_has_copy_button_and_downloads(synced, client):
    text = client.get("/leitfaden/vorlagen/antwort-auskunft").get_data(as_text=True)
    assert 'data-copy="#template-text"' in text and 'id="template-text"' in text
    assert 'href="/leitfaden/vorlagen/antwort-auskunft.txt"' in text
    download = client.get("/leitfaden/vorlagen/antwort-auskunft.txt")
    assert download.status_code == 200 and download.mimetype == "text/plain"
    assert download.headers["Content-Disposition"] == 'attachment; filename="antwort-auskunft.txt"'
    assert "Art. 15 DSGVO" in download.get_data(as_text=True)
    markdown = client.get("/leitfaden/vorlagen/loeschprotokoll.md")
    assert markdown.mimetype == "text/markdown" and markdown.get_data(as_text=True).startswith("# Eintrag")
    assert client.get("/leitfaden/vorlagen/loeschprotokoll.exe").status_code == 404


def test_knowledge_base(synced, client):
    text = client.get("/wissen/").get_data(as_text=True)
    assert 'href="/wissen/soziale-medien"' in text and 'href="/wissen/digitale-werkzeuge"' in text
    assert "Zwei-Faktor" in client.get("/wissen/sicher-im-netz").get_data(as_text=True)


def test_a_published_page_never_shows_a_draft(synced, client, roles):
    page = _page("chapter", "rundmails")
    services.save(
        page, _fields(page, body="GEHEIMER ENTWURF", title="Entwurfstitel"), author=roles.staff, publish=False
    )
    db.session.commit()
    text = client.get("/leitfaden/rundmails").get_data(as_text=True)
    assert "GEHEIMER ENTWURF" not in text and "Entwurfstitel" not in text
    assert "BCC" in text
    assert services.run_search("geheimer") == []
    services.publish_revision(page, page.draft)
    db.session.commit()
    assert "GEHEIMER ENTWURF" in client.get("/leitfaden/rundmails").get_data(as_text=True)


def test_workspace_panel_is_a_whole_section(synced, roles, client_for):
    response = client_for(roles.member).get(f"/c/{roles.club.slug}/leitfaden/", headers=HX)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text.lstrip().startswith('<section class="panel" id="guide-panel"') and "<html" not in text
    full = client_for(roles.member).get(f"/c/{roles.club.slug}/leitfaden/").get_data(as_text=True)
    assert "<html" in full and 'id="guide-panel"' in full
