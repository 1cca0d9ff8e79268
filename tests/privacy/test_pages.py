"""Profile, checklist, panel, action plan, report, PDF and CSV."""

import csv
import io
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from app.extensions import db
from app.privacy.models import Assessment
from app.privacy.services import PROFILE_FLAGS, club_assessment, club_states
from tests.conftest import HX
from tests.helpers import pdf_text


def url(club, path=""):
    return f"/c/{club.slug}/datenschutz/{path}"


def test_profile_first_then_checklist(roles, content, client_for):
    client = client_for(roles.board)
    response = client.get(url(roles.club, "selbstcheck"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/datenschutz/profil")
    page = client.get(url(roles.club, "profil")).get_data(as_text=True)
    assert "Hat Ihr Verein eine eigene Website?" in page
    data = {flag: "yes" for flag in PROFILE_FLAGS}
    data.update(website="no", social="no", cctv="no")
    response = client.post(url(roles.club, "profil"), data=data)
    assert response.status_code == 303
    page = client.get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    # non-applicable items are hidden from the form and explained
    assert "Fragen treffen nicht zu" in page
    assert "Ihr Verein hat keine eigene Website." in page
    assert 'action="/c/%s/datenschutz/punkt/web-notice"' % roles.club.slug not in page  # noqa: UP031
    assert "Was auf Ihren Verein zutrifft" in page and "Angaben zum Verein ändern" in page
    states = {s.item.key: s for s in club_states(roles.club)}
    assert not states["web-notice"].applicable and not states["web-publish"].applicable
    assert states["mem-bcc"].applicable and states["photo-rules"].applicable


def test_non_applicable_items_count_as_not_applicable(roles, content, set_profile):
    set_profile(roles.club, website=False, social=False)
    all_yes = set_profile(roles.other_club)
    mine = club_assessment(roles.club)
    # web-notice, web-cookies (website), social-page (social), web-publish (website or social)
    assert mine.applicable_count == all_yes.applicable_count - 4


def test_workspace_panel_shows_score_and_three_most_urgent(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    client = client_for(roles.board)
    empty = client.get(url(roles.club), headers=HX).get_data(as_text=True)
    assert empty.lstrip().startswith('<section class="panel" id="privacy-panel"')
    assert "Noch nicht begonnen" in empty
    answer(roles.board, roles.club, "mem-bcc", "yes")
    answer(roles.board, roles.club, "del-events", "no", due_date=(date.today() - timedelta(days=3)).isoformat())
    answer(roles.board, roles.club, "sec-backup", "no")
    html = client.get(url(roles.club), headers=HX).get_data(as_text=True)
    score = club_assessment(roles.club).score
    assert f'<span class="score-big">{score}</span>' in html
    assert '<progress class="bar" max="100" value="%d"' % score in html  # noqa: UP031
    assert html.count("<li>") == 3
    # Pflicht items come first: unanswered Pflicht items outrank the Empfehlung "Nein"s
    assert "Verschicken Sie Rundmails" not in html
    full = client.get(url(roles.club))
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)


def test_members_see_the_score_but_not_the_boards_to_do_list(roles, content, set_profile, answer, client_for):
    """Issue 16: "Am dringendsten" is the board's list; a volunteer cannot act on it."""
    set_profile(roles.club)
    answer(roles.board, roles.club, "sec-backup", "no")
    board = client_for(roles.board).get(url(roles.club), headers=HX).get_data(as_text=True)
    member = client_for(roles.member).get(url(roles.club), headers=HX).get_data(as_text=True)
    assert "Am dringendsten" in board and 'class="urgent-list"' in board
    assert "Am dringendsten" not in member and 'class="urgent-list"' not in member
    assert 'class="score-big"' in member  # the score itself stays visible


def test_action_plan_orders_by_severity_and_due_date(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    past = (date.today() - timedelta(days=2)).isoformat()
    soon = (date.today() + timedelta(days=5)).isoformat()
    answer(roles.board, roles.club, "sec-backup", "no", due_date=past, responsible_id=roles.member.id)
    answer(roles.board, roles.club, "breach-log", "partial", due_date=soon)
    answer(roles.board, roles.club, "mem-bcc", "yes")
    answer(roles.board, roles.club, "org-owner", "no")
    html = client_for(roles.member).get(url(roles.club, "massnahmen")).get_data(as_text=True)
    assert "Verschicken Sie Rundmails" not in html  # done
    pos_breach = html.index("Dokumentieren Sie jede Panne")
    pos_owner = html.index("Benennen Sie eine Ansprechperson")
    pos_backup = html.index("Sicherungskopie")
    assert pos_breach < pos_owner < pos_backup  # Pflicht with date, Pflicht without, then Empfehlung
    assert '<tr class="is-overdue">' in html and "(überfällig)" in html
    assert "Moritz Mitglied" in html


def test_report_html_pdf_and_csv(roles, content, set_profile, answer, client_for):
    set_profile(roles.club, website=False, social=False)
    answer(roles.board, roles.club, "mem-bcc", "yes", note="Umstellung auf Verteiler erledigt")
    answer(
        roles.board,
        roles.club,
        "breach-plan",
        "no",
        note="Muster von der Stiftung nutzen",
        due_date="2031-03-01",
        responsible_id=roles.member.id,
    )
    client = client_for(roles.member)
    score = club_assessment(roles.club).score

    html = client.get(url(roles.club, "bericht")).get_data(as_text=True)
    for text in (
        "Imkerverein Pankow",
        "Inhaltsversion",
        f"{score} von 100 Punkten",
        "Umstellung auf Verteiler",
        "Offene Maßnahmen",
        "Gibt es einen Plan für Datenpannen",
        "trifft nicht zu",
    ):
        assert text in html, text

    response = client.get(url(roles.club, "bericht.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = " ".join(pdf_text(response.data).split())
    for expected in (
        "Verein: Imkerverein Pankow",
        "Inhaltsversion: 1",
        f"Wertung: {score} von 100 Punkten",
        "Muster von der Stiftung nutzen",
    ):
        assert expected in text, expected
    assert "datenschutz-selbstcheck-imkerverein-pankow" in response.headers["Content-Disposition"]

    response = client.get(url(roles.club, "antworten.csv"))
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Thema", "ID", "Frage"]
    by_id = {row[1]: row for row in rows[1:]}
    assert len(by_id) == len(content["items"])
    assert by_id["mem-bcc"][5] == "Ja" and by_id["mem-bcc"][6] == "Umstellung auf Verteiler erledigt"
    assert by_id["breach-plan"][7] == "Moritz Mitglied" and by_id["breach-plan"][8] == "2031-03-01"
    assert by_id["web-notice"][4] == "nein"


def test_pdf_contains_what_it_must(roles, content, set_profile, answer, app, monkeypatch):
    """The dated report for the club's records: its date (Berlin time) and the content version it was made
    from, read from the PDF's text as a reader would copy it, with the embedded DejaVu font and without."""
    from flask import g

    from app.privacy import export, routes
    from app.privacy.content import publish
    from app.privacy.export import build_pdf, unicode_font_available

    publish(content, note="Zweite Fassung")  # the report must name the current version, not the first
    db.session.commit()
    # 23:30 UTC on 14 March is already 15 March in Berlin
    monkeypatch.setattr(export, "utcnow", lambda: datetime(2031, 3, 14, 23, 30, tzinfo=timezone.utc))
    set_profile(roles.club)
    answer(roles.board, roles.club, "mem-bcc", "yes", note="Verteiler – erledigt")
    answer(roles.board, roles.club, "breach-plan", "no", note="Übung fällt aus")
    with app.test_request_context():
        g.club = roles.club
        g.membership = None
        ctx = routes._overview()
        ctx["open"] = [s for s in ctx["states"] if s.is_open]
        assert ctx["version"].number == 2
        score = ctx["score"]
        fonts = [False, True] if unicode_font_available() else [False]
        for unicode_font in fonts:
            data = build_pdf(roles.club, ctx, unicode_font=unicode_font)
            assert (b"DejaVu" in data) is unicode_font
            text = " ".join(pdf_text(data).split())
            # core-font fallback (clean machine without fonts-dejavu-core): umlauts kept, dashes transliterated
            dash = "–" if unicode_font else "-"
            for expected in (
                "Bericht: Datenschutz-Selbstcheck",
                "Verein: Imkerverein Pankow",
                "Stand: 15.03.31, 00:30",
                "Inhaltsversion: 2",
                f"Wertung: {score} von 100 Punkten",
                f"Verteiler {dash} erledigt",
                "Übung fällt aus",
                "Offene Maßnahmen",
                "Gibt es einen Plan für Datenpannen",
                "Datenschutz-Selbstcheck Imkerverein Pankow, Stand 15.03.2031",
            ):  # footer
                assert expected in text, (unicode_font, expected, text[:1500])


def test_assessment_row_is_kept_current(roles, content, set_profile, answer):
    set_profile(roles.club)
    row = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == roles.club.id))
    assert row.score is None and row.topic_scores == {}
    answer(roles.board, roles.club, "mem-bcc", "yes")
    db.session.expire_all()
    first = db.session.get(Assessment, row.id).score
    answer(roles.board, roles.club, "org-owner", "yes")
    db.session.expire_all()
    assert db.session.get(Assessment, row.id).score > first


def test_checklist_in_english(roles, content, set_profile, client_for):
    set_profile(roles.club)
    client = client_for(roles.member)
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    assert "Do you send group e-mails only as blind copy (BCC)" in html
    assert "Member data and disclosure" in html
    assert "Verschicken Sie Rundmails" not in html


def test_exports_of_the_answers_are_audited(content, roles, client_for):
    from app.core.audit import AuditEntry

    client = client_for(roles.member)
    assert client.get(url(roles.club, "bericht.pdf")).status_code == 200
    assert client.get(url(roles.club, "antworten.csv")).status_code == 200
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "privacy.exported").order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_id, e.club_id, e.details["format"]) for e in entries] == [
        (roles.member.id, roles.club.id, "pdf"),
        (roles.member.id, roles.club.id, "csv"),
    ]


def test_profile_is_one_tick_list_where_unticked_means_no(roles, content, client_for):
    """Issue 16: one click per "yes"; the same effect on which items apply as the old yes/no questions."""
    client = client_for(roles.board)
    page = client.get(url(roles.club, "profil")).get_data(as_text=True)
    assert "Was trifft auf Ihren Verein zu?" in page
    assert page.count('type="checkbox"') == len(PROFILE_FLAGS) and 'type="radio"' not in page
    assert "checked" not in page  # a new profile: nothing ticked yet
    response = client.post(url(roles.club, "profil"), data={"website": "yes", "video": "yes"})
    assert response.status_code == 303
    profile = club_assessment(roles.club).profile
    assert profile["website"] is True and profile["video"] is True
    assert all(profile[flag] is False for flag in PROFILE_FLAGS if flag not in ("website", "video"))
    states = {s.item.key: s for s in club_states(roles.club)}
    assert states["web-notice"].applicable and not states["social-page"].applicable
    page = client.get(url(roles.club, "profil")).get_data(as_text=True)
    assert 'id="profile-website" name="website" value="yes" checked' in page
    assert 'id="profile-social" name="social" value="yes" >' in page


def test_profile_question_added_later_starts_ticked(roles, content, set_profile, client_for):
    assessment = set_profile(roles.club, website=False)
    assessment.profile = {k: v for k, v in assessment.profile.items() if k != "under18"}
    db.session.commit()
    page = client_for(roles.board).get(url(roles.club, "profil")).get_data(as_text=True)
    assert 'name="under18" value="yes" checked' in page and 'name="website" value="yes" >' in page


def test_action_plan_lists_actions_for_no_and_partial_and_counts_the_unanswered(
    roles, content, set_profile, answer, client_for
):
    """Issue 16: measures as actions (the item's action text), only "Nein"/"Teilweise"; the rest one line."""
    set_profile(roles.club)
    answer(roles.board, roles.club, "org-owner", "no")
    answer(roles.board, roles.club, "mem-bcc", "partial")
    answer(roles.board, roles.club, "breach-plan", "yes")
    html = client_for(roles.member).get(url(roles.club, "massnahmen")).get_data(as_text=True)
    table = html[html.index("<table") : html.index("</table>")]
    assert "Benennen Sie eine Ansprechperson für den Datenschutz" in table
    assert table.count("<tr") == 3  # header + the two measures; unanswered questions are not listed
    assert "Weiß der Vorstand" not in table.replace('<span class="visually-hidden">: Weiß der Vorstand', "")
    applicable = sum(1 for s in club_states(roles.club) if s.applicable)
    unanswered = applicable - 3
    assert f"{unanswered} Fragen noch nicht beantwortet." in html
    assert 'href="/c/%s/datenschutz/selbstcheck#item-' % roles.club.slug in html  # noqa: UP031


def test_every_checklist_item_has_an_action_text_in_german_and_english(content):
    from app.privacy.content import read_file

    for raw in read_file()["items"]:
        assert raw["action"].strip() and raw["action_en"].strip(), raw["id"]
        assert raw["action"].strip() != raw["question"].strip(), raw["id"]


def test_jargon_is_spelled_out_at_first_use_with_a_link_to_the_glossary(roles, content, set_profile, client_for):
    set_profile(roles.club)
    html = client_for(roles.board).get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    glossary = 'href="/wissen/glossar#'
    for anchor, spelled_out in (
        ("vvt", "Verzeichnis von Verarbeitungstätigkeiten:"),
        ("avv", "Vertrag zur Auftragsverarbeitung:"),
        ("data-privacy-framework", "EU-US-Datenschutzrahmen:"),
        ("standardvertragsklauseln", "Musterverträge der EU-Kommission:"),
        ("rechenschaftspflicht", "Nachweispflicht:"),
        ("inhaltsversion", "Fassung der Fragen (Inhaltsversion)"),
    ):
        assert html.count(glossary + anchor + '"') == 1, anchor  # once per page: at first use
        assert spelled_out in html, anchor
    assert html.count("Was heißt das?") == 5  # four boxes (one item names two terms) and the version line
    # the first use of "Rechenschaftspflicht" is the first item that mentions it
    first = html.index('id="item-org-owner"')
    assert first < html.index(glossary + 'rechenschaftspflicht"') < html.index('id="item-', first + 10)


def test_self_check_speaks_of_questions_and_keeps_points_for_the_score(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    answer(roles.board, roles.club, "org-owner", "no")
    client = client_for(roles.board)
    for path in ("selbstcheck", "massnahmen", "bericht"):
        page = client.get(url(roles.club, path)).get_data(as_text=True)
        body = page[page.index('<main id="main"') :]
        for score_words in ("Die Punkte zeigen", "Punkte (von 100)", "von 100 Punkten"):
            body = body.replace(score_words, "")
        assert "Punkt " not in body and "Punkte " not in body, path
        assert "noch offen" not in body, path  # "offen" means a measure still to do, nothing else
    html = client.get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    assert "Fragen beantwortet." in html and "1 Maßnahme offen" in html and "von 100 Punkten" in html


def test_checklist_has_jump_links_to_every_topic(roles, content, set_profile, client_for):
    """Issue 16: a keyboard user reaches a topic without tabbing through all items before it."""
    set_profile(roles.club)
    html = client_for(roles.member).get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    nav = html[html.index('<nav class="topic-jump"') : html.index("</nav>", html.index('<nav class="topic-jump"'))]
    from app.privacy.services import current_topics

    topics = current_topics()
    assert len(topics) >= 5
    for topic in topics:
        assert f'href="#topic-{topic.key}"' in nav and f'id="topic-{topic.key}" tabindex="-1"' in html
    assert html.index('class="topic-jump"') < html.index('class="privacy-item')  # before the first item


def test_english_checklist_explains_jargon_and_lists_actions(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    answer(roles.board, roles.club, "org-owner", "no")
    client = client_for(roles.board)
    client.post("/sprache", data={"lang": "en", "next": "/vereine"})
    html = client.get(url(roles.club, "selbstcheck")).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "What does that mean?" in html and "Standard contractual clauses" in html and "Jump to topic" in html
    plan = client.get(url(roles.club, "massnahmen")).get_data(as_text=True)
    assert "Name a contact person for data protection" in plan and "questions not answered yet." in plan
