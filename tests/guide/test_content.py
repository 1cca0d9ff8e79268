import re

import sqlalchemy as sa

from app.extensions import db
from app.guide import services
from app.guide.models import ContentPage, ContentRevision
from app.guide.rendering import render_markdown

AUTHORITY_HOSTS = (
    "datenschutz-berlin.de",
    "data-kids.de",
    "baden-wuerttemberg.datenschutz.de",
    "lda.bayern.de",
    "datenschutzkonferenz-online.de",
    "stiftungdatenschutz.org",
    "lfd.niedersachsen.de",
    "digitale-nachbarschaft.de",
)


def _page(kind, slug):
    return db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == kind, ContentPage.slug == slug))


def test_all_agreed_chapters_ship_in_german_and_english(synced):
    chapters = services.published("chapter")
    assert [p.slug for p in chapters] == list(services.CHAPTER_IDS)
    for page in chapters:
        for body in (page.body, page.body_en):
            html = str(render_markdown(body).html)
            assert re.search(r"Art\. \d+|§ \d+", body), page.slug  # legal references
            links = re.findall(r'href="https://(?:www\.)?([^/"]+)', html)
            assert any(host.endswith(AUTHORITY_HOSTS) for host in links), f"{page.slug}: no official guidance"
        assert page.title_en and page.summary and page.summary_en


def test_templates_and_articles_ship(synced):
    assert {p.slug for p in services.published("template")} == {
        "datenschutzhinweise-aufnahme",
        "einwilligung-fotos",
        "antwort-auskunft",
        "loeschprotokoll",
    }
    assert {p.slug for p in services.published("article")} >= {"soziale-medien", "sicher-im-netz", "digitale-werkzeuge"}


def test_sync_is_idempotent(synced):
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ContentRevision))
    result = services.sync_shipped_content()
    assert result.startswith("0 neu, 0 aktualisiert")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContentRevision)) == count


def test_content_sync_cli_loads_everything(runner):
    result = runner.invoke(args=["content-sync"])
    assert result.exit_code == 0, result.output
    assert "Leitfaden & Wissen:" in result.output
    assert len(services.published("chapter")) == len(services.CHAPTER_IDS)


def _changed_shipping(monkeypatch):
    original = services.shipped_content()

    def changed():
        return [
            (kind, slug, dict(data, body=data["body"] + "\nNeu geliefert.\n"), digest[::-1])
            for kind, slug, data, digest in original
        ]  # new digest, same length

    monkeypatch.setattr(services, "shipped_content", changed)


def test_staff_edits_are_never_overwritten_by_a_later_load(synced, roles, monkeypatch):
    edited = _page("chapter", "rundmails")
    services.save(
        edited,
        {**{f: getattr(edited, f) for f in ContentRevision.FIELDS}, "body": "Unsere Fassung."},
        author=roles.staff,
        publish=True,
    )
    drafted = _page("article", "soziale-medien")
    services.save(
        drafted,
        {**{f: getattr(drafted, f) for f in ContentRevision.FIELDS}, "body": "Entwurf."},
        author=roles.staff,
        publish=False,
    )
    db.session.commit()
    untouched_before = _page("chapter", "beitritt").published_number

    _changed_shipping(monkeypatch)
    result = services.sync_shipped_content()

    assert "2 von der Redaktion bearbeitet" in result
    assert _page("chapter", "rundmails").body == "Unsere Fassung."
    drafted = _page("article", "soziale-medien")
    assert "Neu geliefert" not in drafted.body and drafted.draft.body == "Entwurf."
    untouched = _page("chapter", "beitritt")
    assert untouched.body.endswith("Neu geliefert.\n")
    assert untouched.published_number == untouched_before + 1
    assert untouched.latest_revision.source == "shipped"
