"""Dated, sourced guide content and the legal corrections of issue 17; the glossary (issue 16 item 3)."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.guide import services
from app.guide.models import ContentPage

REVIEWED = date(2026, 12, 2)


def _page(kind, slug):
    return db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == kind, ContentPage.slug == slug))


def _text(kind, slug, lang="de"):
    page = _page(kind, slug)
    return page.body if lang == "de" else page.body_en


# --- the loader requires a date and sources -------------------------------------------------


def test_every_shipped_chapter_article_and_template_has_a_date_and_sources(synced):
    pages = list(db.session.scalars(sa.select(ContentPage)))
    assert {p.kind for p in pages} == {"chapter", "article", "template"}
    for page in pages:
        assert page.reviewed_on == REVIEWED, page.slug
        assert page.sources and all(s["label"].strip() for s in page.sources), page.slug
        assert all(s.get("url", "https://").startswith("https://") for s in page.sources), page.slug
        assert page.latest_revision.reviewed_on == REVIEWED and page.latest_revision.sources == page.sources


def _shipped_folder(tmp_path, monkeypatch, front_matter):
    folder = tmp_path / "content"
    for sub in services.FOLDERS.values():
        (folder / sub).mkdir(parents=True)
    (folder / "chapters" / "probe.md").write_text(
        f"---\ntitle: Probe\n{front_matter}---\n## Text\n\nArt. 5 DSGVO\n", encoding="utf-8"
    )
    monkeypatch.setattr(services, "CONTENT_DIR", folder)


@pytest.mark.parametrize(
    "front_matter, message",
    [
        ("sources:\n  - label: Art. 5 DSGVO\n", "reviewed"),
        ("reviewed: 2026-12-02\n", "Quelle"),
        ("reviewed: 2026-12-02\nsources: []\n", "Quelle"),
        ("reviewed: irgendwann\nsources:\n  - label: Art. 5 DSGVO\n", "Datum"),
        ("reviewed: 2026-12-02\nsources:\n  - https://eur-lex.europa.eu/\n", "label"),
        ("reviewed: 2026-12-02\nsources:\n  - label: DSGVO\n    url: http://eur-lex.europa.eu/\n", "https"),
    ],
)
def test_shipped_files_without_date_or_sources_are_rejected(app, tmp_path, monkeypatch, front_matter, message):
    _shipped_folder(tmp_path, monkeypatch, front_matter)
    with pytest.raises(services.ShippedContentError, match=f"chapters/probe.md: .*{message}"):
        services.shipped_content()


def test_a_complete_file_loads(app, tmp_path, monkeypatch):
    _shipped_folder(
        tmp_path, monkeypatch, "reviewed: 2026-12-02\nsources:\n  - label: Art. 5 DSGVO\n    label_en: GDPR Art. 5\n"
    )
    [(kind, slug, data, _digest)] = services.shipped_content()
    assert (kind, slug, data["reviewed_on"]) == ("chapter", "probe", REVIEWED)
    assert data["sources"] == [{"label": "Art. 5 DSGVO", "label_en": "GDPR Art. 5"}]


# --- pages show "Stand" and sources ------------------------------------------------------------


def test_chapter_page_shows_stand_and_sources(synced, client):
    html = client.get("/leitfaden/online-werkzeuge").get_data(as_text=True)
    assert '<p class="content-stand muted">Stand: 02.12.2026</p>' in html
    assert '<h2 id="rechtsgrundlagen">Rechtsgrundlagen und Quellen</h2>' in html
    assert (
        '<a href="https://www.gesetze-im-internet.de/bgb/__32.html" rel="noopener noreferrer">'
        "§ 32 Abs. 2 BGB (hybride und virtuelle Mitgliederversammlungen, seit 21.03.2023)</a>"
    ) in html
    assert html.index("Stand: 02.12.2026") < html.index('id="rechtsgrundlagen"') < html.index("checklist-links")


def test_english_page_shows_english_source_labels(synced, client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/leitfaden/website").get_data(as_text=True)
    # (the catalog's own strings are not asserted: Flask-Babel caches catalogs across the suite's apps)
    assert "§ 5 German Digital Services Act (DDG)" in html and 'id="rechtsgrundlagen"' in html
    assert "§ 18(1) Interstate Media Treaty (MStV)" in html  # a source without a link is plain text


@pytest.mark.parametrize("path", ["/wissen/glossar", "/leitfaden/vorlagen/loeschprotokoll"])
def test_articles_and_templates_show_stand_and_sources(synced, client, path):
    html = client.get(path).get_data(as_text=True)
    assert "Stand: 02.12.2026" in html and 'id="rechtsgrundlagen"' in html


def test_staff_edits_keep_stand_and_sources(synced, roles, client_for):
    page = _page("chapter", "rundmails")
    sources = list(page.sources)
    response = client_for(roles.staff).post(
        f"/admin/inhalte/{page.id}",
        data={
            "title": page.title,
            "summary": page.summary,
            "body": page.body + "\nErgänzung.\n",
            "title_en": page.title_en,
            "summary_en": page.summary_en,
            "body_en": page.body_en,
            "note": "",
            "action": "publish",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    page = _page("chapter", "rundmails")
    assert page.body.endswith("Ergänzung.\n") and page.staff_edited
    assert page.reviewed_on == REVIEWED and page.sources == sources


def test_pages_created_by_staff_need_no_sources(synced, roles, client_for, client):
    client_for(roles.staff).post(
        "/admin/inhalte/neu",
        data={
            "kind": "article",
            "slug": "vereinsfeste",
            "position": "5",
            "title": "Vereinsfeste planen",
            "summary": "",
            "body": "## Einladung\n\nText.",
            "title_en": "",
            "summary_en": "",
            "body_en": "",
            "note": "",
            "action": "publish",
        },
    )
    html = client.get("/wissen/vereinsfeste").get_data(as_text=True)
    assert "Vereinsfeste planen" in html and "Stand:" not in html and 'id="rechtsgrundlagen"' not in html


# --- glossary -----------------------------------------------------------------------------------

JARGON_ANCHORS = (
    "vvt",
    "avv",
    "data-privacy-framework",
    "standardvertragsklauseln",
    "rechenschaftspflicht",
    "inhaltsversion",
)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_glossary_explains_the_jargon_under_the_same_anchors_in_both_languages(synced, client, lang):
    with client.session_transaction() as session:
        session["lang"] = lang
    html = client.get("/wissen/glossar").get_data(as_text=True)
    assert ("Glossar: Was heißt das?" if lang == "de" else "Glossary: what does it mean?") in html
    for anchor in JARGON_ANCHORS:
        assert f'id="{anchor}"' in html and f'href="#{anchor}"' in html, anchor


def test_guide_index_links_the_glossary(synced, client):
    html = client.get("/leitfaden/").get_data(as_text=True)
    assert '<a href="/wissen/glossar">Glossar: Was heißt das?</a>' in html
    services.withdraw(_page("article", "glossar"))
    db.session.commit()
    assert "/wissen/glossar" not in client.get("/leitfaden/").get_data(as_text=True)


# --- corrections (issue 17 item 2) and the platform as processor (item 1) ------------------------


def test_online_tools_chapter_names_the_platform_operator_as_processor(synced):
    de, en = _text("chapter", "online-werkzeuge"), _text("chapter", "online-werkzeuge", "en")
    assert "wie im Vereinsraum" not in de and "as in this workspace" not in en
    assert "Betreiber des Vereinsraums" in de and "Auftragsverarbeiter" in de and "AVV" in de
    assert "operator of Vereinsraum" in en and "processor" in en
    assert "Ihr Verein sie selbst betreibt" in de and "your club runs it itself" in en


def test_online_tools_chapter_states_section_32_bgb_correctly(synced):
    de, en = _text("chapter", "online-werkzeuge"), _text("chapter", "online-werkzeuge", "en")
    assert "wenn die Satzung es erlaubt oder die Mitglieder es beschließen" not in de
    assert "21.03.2023" in de and "§ 32 Abs. 2 BGB" in de
    assert "Wer die Versammlung einberuft, kann in der Einladung vorsehen" in de
    assert "es sei denn, die Satzung schließt hybride Versammlungen aus" in de
    assert "Rein virtuell" in de and "vorher beschlossen" in de
    assert "whoever convenes the meeting can provide in the invitation" in en
    assert "unless the statutes exclude hybrid meetings" in en and "previously resolved" in en


def test_criminal_record_note_is_deleted_six_months_after_the_last_activity(synced):
    for slug in ("minderjaehrige", "loeschfristen"):
        de, en = _text("chapter", slug), _text("chapter", slug, "en")
        assert "sechs Monate" in de and "zuletzt ausgeübt" in de, slug
        assert "six months" in en and "last carried out" in en, slug
        assert "spätestens 3 Monate nach ihrem Ende" not in de, slug


def test_member_lists_chapter_states_the_bgh_and_section_37(synced):
    de, en = _text("chapter", "mitgliederlisten"), _text("chapter", "mitgliederlisten", "en")
    assert "II ZR 219/09" in de and "nicht nur für den Fall" in de and "not only for the case" in en
    assert "Amtsgericht" in de and "§ 37 Abs. 2 BGB" in de and "ohne diese Ermächtigung" in de
    assert "local court" in en and "without that authorisation" in en


def test_vfb_fine_is_described_correctly(synced):
    de, en = _text("chapter", "weitergabe"), _text("chapter", "weitergabe", "en")
    assert "unter anderem weil Mitgliederdaten an eine PR-Agentur gingen" not in de
    assert "VfB Stuttgart 1893 AG" in de and "300.000 Euro" in de and "Rechenschaftspflicht" in de
    assert "Art. 5 Abs. 2 DSGVO" in de and "nicht die Weitergabe" in de
    assert "VfB Stuttgart 1893 AG" in en and "accountability" in en and "not passing on member data" in en


def test_emergency_exception_needs_inability_to_consent(synced):
    de, en = _text("chapter", "besondere-kategorien"), _text("chapter", "besondere-kategorien", "en")
    assert "nur, wenn die Person selbst nicht einwilligen kann" in de and "ausdrückliche Einwilligung" in de
    assert "only if the person cannot give consent themselves" in en


def test_retention_chapter(synced):
    de, en = _text("chapter", "loeschfristen"), _text("chapter", "loeschfristen", "en")
    assert "auch für ältere Belege, deren zehnjährige Frist an diesem Tag noch nicht abgelaufen war" in de
    assert "§ 147 Abs. 3 AO" in de and "Festsetzungsfrist" in de
    assert "höchstens Ende des Austrittsjahres plus 3 Jahre" not in de
    assert "Regel des Vereins, aber keine gesetzliche Frist" in de and "ausstehend" in de
    assert "72 Stunden" in de
    assert "older vouchers whose ten-year period had not yet ended" in en and "club rule, not a period set by law" in en


def test_deletion_log_example_and_templates_treat_the_three_year_cap_as_a_club_rule(synced):
    assert "ab 1.1.2032" in _text("template", "loeschprotokoll") and "31.12.2031" not in _text(
        "template", "loeschprotokoll"
    )
    assert "from 1 January 2032" in _text("template", "loeschprotokoll", "en")
    for slug in ("datenschutzhinweise-aufnahme", "antwort-auskunft"):
        assert "Vereinsregel" in _text("template", slug) and "club rule" in _text("template", slug, "en")
    notice = _text("template", "datenschutzhinweise-aufnahme")
    assert "WIDERSPRUCHSRECHT" in notice and "Art. 21 DSGVO" in notice


def test_impressum_list_and_applicable_law(synced):
    de, en = _text("chapter", "website"), _text("chapter", "website", "en")
    assert "E-Mail-Adresse" in de and "Registernummer" in de
    assert "§ 5 Digitale-Dienste-Gesetz (DDG)" in de and "§ 18 Abs. 1 Medienstaatsvertrag" in de
    assert "German Digital Services Act (DDG)" in en and "Interstate Media Treaty" in en
    assert "Digital Services Act (DDG, legal notice)" not in en


def test_photo_consent_written_form_is_a_recommendation(synced):
    de, en = _text("chapter", "veroeffentlichung"), _text("chapter", "veroeffentlichung", "en")
    assert "empfehlen wir die Schriftform" in de and "we recommend getting it in writing" in en
    assert "holen Sie eine schriftliche Einwilligung ein" not in de


def test_double_opt_in_is_described_as_proof_not_as_law(synced):
    de = _text("chapter", "rundmails")
    assert "Das Gesetz schreibt dieses Verfahren nicht vor" in de
    assert "does not prescribe this procedure" in _text("chapter", "rundmails", "en")


def test_dpo_chapter_names_dpia_and_art_37_1_c(synced):
    de, en = _text("chapter", "datenschutzbeauftragter"), _text("chapter", "datenschutzbeauftragter", "en")
    assert "§ 38 Abs. 1 Satz 2 BDSG" in de and "Art. 37 Abs. 1 lit. c DSGVO" in de
    assert "§ 38(1) sentence 2 BDSG" in en and "Art. 37(1)(c) GDPR" in en


@pytest.mark.parametrize(
    "kind, slug",
    [
        ("chapter", "verarbeitungsverzeichnis"),
        ("chapter", "datenpanne"),
        ("chapter", "datenschutzbeauftragter"),
        ("article", "sicher-im-netz"),
    ],
)
def test_law_in_flux_carries_a_dated_notice(synced, kind, slug):
    assert "Stand 12/2026" in _text(kind, slug) and "as of 12/2026" in _text(kind, slug, "en")


def test_guide_text_avoids_offen_and_punkte(synced):
    """Vocabulary (issue 16): „Fragen“ for items, „Punkte“ only for the score, „offen“ for one meaning only."""
    for page in db.session.scalars(sa.select(ContentPage)):
        assert not re.search(r"\boffen(e[nmrs]?)?\b|\bPunkte?\b|Prüfpunkt", page.body, re.IGNORECASE), page.slug
