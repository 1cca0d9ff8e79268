"""Answering items: htmx and plain saves, validation, conflicts, history, permissions, isolation."""

import re

import sqlalchemy as sa

from app.clubs.models import Membership, Role
from app.extensions import db
from app.privacy.models import Answer, AnswerChange, Assessment
from app.privacy.services import club_assessment
from tests.conftest import HX


def _answer_row(club, key):
    db.session.expire_all()
    return db.session.scalar(sa.select(Answer).where(Answer.club_id == club.id, Answer.item_key == key))


def test_htmx_save_returns_item_and_updates_score(roles, content, set_profile, answer):
    set_profile(roles.club)
    response = answer(roles.board, roles.club, "mem-bcc", "yes", note="Nur noch BCC")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<article class="privacy-item') and 'id="item-mem-bcc"' in html
    assert "Gespeichert." in html
    assert 'id="privacy-score" hx-swap-oob="innerHTML"' in html
    assert "von 100 Punkten" in html
    row = _answer_row(roles.club, "mem-bcc")
    assert row.status == "yes" and row.note == "Nur noch BCC" and row.version == 1
    assessment = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == roles.club.id))
    assert assessment.score is not None and assessment.score > 0
    assert assessment.answered_count == 1 and assessment.started_at is not None
    assert assessment.topic_scores["mitglieder"] > 0


def test_save_on_the_single_item_page_sends_no_score_update(roles, content, set_profile, client_for):
    set_profile(roles.club)
    url = f"/c/{roles.club.slug}/datenschutz/punkt/mem-bcc"
    response = client_for(roles.board).post(
        url, data={"status": "yes", "version": "0"}, headers=dict(HX, **{"HX-Current-URL": "http://localhost" + url})
    )
    assert response.status_code == 200
    assert "hx-swap-oob" not in response.get_data(as_text=True)


def test_plain_form_save_redirects(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    client = client_for(roles.board)
    response = answer(
        roles.board,
        roles.club,
        "org-owner",
        "no",
        htmx=False,
        client=client,
        responsible_id=roles.member.id,
        due_date="2030-01-31",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/datenschutz/selbstcheck#item-org-owner")
    row = _answer_row(roles.club, "org-owner")
    assert row.status == "no" and row.responsible_id == roles.member.id and row.due_date.isoformat() == "2030-01-31"
    page = client.get(f"/c/{roles.club.slug}/datenschutz/selbstcheck").get_data(as_text=True)
    assert 'value="no" checked' in page
    assert "Moritz Mitglied</option>" in page


def test_german_date_format_is_accepted(roles, content, set_profile, answer):
    set_profile(roles.club)
    assert answer(roles.board, roles.club, "org-owner", "no", due_date="31.01.2030").status_code == 200
    assert _answer_row(roles.club, "org-owner").due_date.isoformat() == "2030-01-31"


def test_invalid_input_is_422_and_writes_nothing(roles, content, set_profile, answer):
    set_profile(roles.club)
    for fields in (
        {"status": "vielleicht"},
        {"due_date": "morgen"},
        {"responsible_id": roles.outsider.id},
        {"responsible_id": "abc"},
        {"note": "x" * 2001},
        {"version": "alt"},
    ):
        status = fields.pop("status", "yes")
        response = answer(roles.board, roles.club, "mem-bcc", status, **fields)
        assert response.status_code == 422, fields
        assert "Bitte prüfen Sie Ihre Eingaben" in response.get_data(as_text=True)
    assert _answer_row(roles.club, "mem-bcc") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerChange)) == 0
    # without htmx: the full page with the message
    response = answer(roles.board, roles.club, "mem-bcc", "yes", htmx=False, due_date="31.02.2030")
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)


def test_unknown_item_is_404(roles, content, answer):
    assert answer(roles.board, roles.club, "gibt-es-nicht", "yes").status_code == 404


def test_concurrent_edit_gets_conflict_view_and_can_choose(roles, content, set_profile, answer, client_for, make_user):
    set_profile(roles.club)
    second = make_user(email="zweite@verein.example", name="Zora Zweitvorstand")
    db.session.add(Membership(club_id=roles.club.id, user_id=second.id, role=Role.BOARD))
    db.session.commit()
    # both open the page while the item is unanswered (version 0)
    assert answer(roles.board, roles.club, "breach-plan", "yes", note="Plan liegt im Ordner").status_code == 200
    stale = answer(second, roles.club, "breach-plan", "no", note="Es gibt keinen Plan")
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Jemand anderes hat die Antwort auf diese Frage" in html
    assert "Vera Vorstand hat am" in html
    assert "Plan liegt im Ordner" in html and "Es gibt keinen Plan" in html  # both answers shown
    row = _answer_row(roles.club, "breach-plan")
    assert row.status == "yes" and row.version == 1  # nothing overwritten

    # keep the other answer: reload the item (fresh version in the form)
    kept = client_for(second).get(f"/c/{roles.club.slug}/datenschutz/punkt/breach-plan", headers=HX)
    assert kept.status_code == 200 and 'name="version" value="1"' in kept.get_data(as_text=True)

    # or take over the own answer: the conflict view's form carries the current version
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert version == "1"
    mine = answer(second, roles.club, "breach-plan", "no", version=1, note="Es gibt keinen Plan")
    assert mine.status_code == 200
    row = _answer_row(roles.club, "breach-plan")
    assert row.status == "no" and row.version == 2 and row.updated_by_id == second.id

    # a stale save on an existing answer also conflicts (without htmx: full page, 409)
    late = answer(roles.board, roles.club, "breach-plan", "partial", version=1, htmx=False)
    assert late.status_code == 409 and "<html" in late.get_data(as_text=True)
    assert _answer_row(roles.club, "breach-plan").status == "no"


def test_history_records_who_when_old_and_new(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    answer(roles.board, roles.club, "mem-bcc", "no")
    answer(roles.board, roles.club, "mem-bcc", "yes", version=1, note="Umgestellt", responsible_id=roles.member.id)
    # saving the same values again adds no history
    response = answer(
        roles.board, roles.club, "mem-bcc", "yes", version=2, note="Umgestellt", responsible_id=roles.member.id
    )
    assert "Gespeichert. Nichts geändert." in response.get_data(as_text=True)
    entries = db.session.scalars(sa.select(AnswerChange).order_by(AnswerChange.id)).all()
    assert len(entries) == 2
    assert entries[0].changes == {"status": ["–", "Nein"]}
    assert entries[1].changes["status"] == ["Nein", "Ja"]
    assert entries[1].changes["note"] == ["–", "Umgestellt"]
    assert entries[1].changes["responsible_id"] == ["–", "Moritz Mitglied"]
    assert entries[1].user_id == roles.board.id
    page = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/punkt/mem-bcc/verlauf")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Vera Vorstand" in html and "Umgestellt" in html and "Nein" in html
    partial = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/punkt/mem-bcc/verlauf", headers=HX)
    assert partial.get_data(as_text=True).lstrip().startswith("<section")


def test_members_read_but_only_board_answers(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    page = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/selbstcheck")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Antworten trägt der Vorstand ein" in html
    assert 'class="item-form"' not in html
    assert answer(roles.member, roles.club, "mem-bcc", "yes").status_code == 403
    assert _answer_row(roles.club, "mem-bcc") is None
    # settings are board-only
    assert (
        client_for(roles.member)
        .post(f"/c/{roles.club.slug}/datenschutz/einstellungen", data={"members_may_answer": "1"})
        .status_code
        == 403
    )


def test_club_can_let_members_answer(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    response = client_for(roles.board).post(
        f"/c/{roles.club.slug}/datenschutz/einstellungen", data={"members_may_answer": "1"}, headers=HX
    )
    assert response.status_code == 200 and "Gespeichert." in response.get_data(as_text=True)
    assert answer(roles.member, roles.club, "mem-bcc", "yes").status_code == 200
    assert 'class="item-form"' in client_for(roles.member).get(
        f"/c/{roles.club.slug}/datenschutz/selbstcheck"
    ).get_data(as_text=True)


def test_consultation_wanted_toggle(roles, content, client_for):
    client = client_for(roles.board)
    response = client.post(f"/c/{roles.club.slug}/datenschutz/einstellungen", data={"consultation_wanted": "1"})
    assert response.status_code == 303
    assessment = club_assessment(roles.club, create=False)
    assert assessment.consultation_wanted is True and assessment.members_may_answer is False
    client.post(f"/c/{roles.club.slug}/datenschutz/einstellungen", data={})
    db.session.expire_all()
    assert club_assessment(roles.club, create=False).consultation_wanted is False


def test_outsiders_and_other_clubs_are_isolated(roles, content, set_profile, answer, client_for):
    set_profile(roles.club)
    set_profile(roles.other_club)
    answer(roles.board, roles.club, "mem-bcc", "no", note="Geheime Notiz des Imkervereins")
    # the other club's board cannot answer or read in our club
    assert answer(roles.outsider, roles.club, "mem-bcc", "yes").status_code == 404
    for path in ("selbstcheck", "massnahmen", "bericht", "antworten.csv", "punkt/mem-bcc/verlauf"):
        assert client_for(roles.outsider).get(f"/c/{roles.club.slug}/datenschutz/{path}").status_code == 404
    # its own pages show nothing of ours
    own = client_for(roles.outsider)
    for path in ("selbstcheck", "bericht", "antworten.csv", "punkt/mem-bcc/verlauf"):
        body = own.get(f"/c/{roles.other_club.slug}/datenschutz/{path}").get_data(as_text=True)
        assert "Geheime Notiz" not in body, path
    # the other club's answer starts fresh (version 0 works, no conflict)
    assert answer(roles.outsider, roles.other_club, "mem-bcc", "yes").status_code == 200
    assert _answer_row(roles.club, "mem-bcc").status == "no"
    assert client_for(None).get(f"/c/{roles.club.slug}/datenschutz/selbstcheck").status_code in (302, 401)


def test_suspended_club_is_read_only(make_user, make_club, content, answer, client_for):
    board = make_user()
    club = make_club(status="suspended", board=board)
    assert client_for(board).get(f"/c/{club.slug}/datenschutz/selbstcheck").status_code in (200, 303)
    assert answer(board, club, "mem-bcc", "yes").status_code == 403


# --- autosave (issue 16): the answer saves on every change ----------------------------------------------


def test_checklist_item_form_autosaves_on_change(roles, content, set_profile, client_for):
    set_profile(roles.club)
    page = client_for(roles.board).get(f"/c/{roles.club.slug}/datenschutz/selbstcheck").get_data(as_text=True)
    item = page[page.index('id="item-mem-bcc"') :]
    item = item[: item.index("</article>")]
    assert 'hx-trigger="change"' in item and "autosave" in item and 'hx-swap="none"' in item
    assert "data-warn-unsaved" in item
    assert re.search(r'<button type="submit"[^>]*>Speichern', item)  # the button stays (no JavaScript)


def test_autosave_swaps_only_status_version_and_score(roles, content, set_profile, answer):
    set_profile(roles.club)
    response = answer(roles.board, roles.club, "mem-bcc", "partial", autosave="1", note="Halb")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<article" not in html and "<textarea" not in html  # nothing the person is typing in is replaced
    assert 'id="version-mem-bcc" hx-swap-oob="true"' in html and 'value="1"' in html
    assert 'id="saved-mem-bcc" hx-swap-oob="innerHTML">Gespeichert.' in html
    assert 'id="privacy-score" hx-swap-oob="innerHTML"' in html
    row = _answer_row(roles.club, "mem-bcc")
    assert row.status == "partial" and row.note == "Halb" and row.version == 1
    # the next change carries the new version and saves again; a stale version conflicts as before
    assert answer(roles.board, roles.club, "mem-bcc", "yes", version=1, autosave="1").status_code == 200
    assert _answer_row(roles.club, "mem-bcc").version == 2
    stale = answer(roles.board, roles.club, "mem-bcc", "no", version=1, autosave="1")
    assert stale.status_code == 409
    assert stale.headers["HX-Retarget"] == "#item-mem-bcc" and stale.headers["HX-Reswap"] == "outerHTML"
    assert "Jemand anderes hat die Antwort auf diese Frage" in stale.get_data(as_text=True)
    assert _answer_row(roles.club, "mem-bcc").status == "yes"


def test_autosave_with_bad_input_shows_the_item_with_the_error(roles, content, set_profile, answer):
    set_profile(roles.club)
    response = answer(roles.board, roles.club, "org-owner", "no", autosave="1", due_date="31.02.2030")
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#item-org-owner"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<article class="privacy-item') and "Bitte prüfen Sie Ihre Eingaben" in html
    assert 'value="no" checked' in html  # the choice is kept
    assert _answer_row(roles.club, "org-owner") is None


def test_autosave_field_without_javascript_is_a_plain_save(roles, content, set_profile, answer):
    """The autosave flag means nothing to a plain form post: post/redirect/get as before."""
    set_profile(roles.club)
    response = answer(roles.board, roles.club, "mem-bcc", "yes", htmx=False, autosave="1")
    assert response.status_code == 303
    assert _answer_row(roles.club, "mem-bcc").status == "yes"


def test_unsaved_input_warning_lives_in_the_static_script(app):
    from pathlib import Path

    script = (Path(app.static_folder) / "js" / "app.js").read_text(encoding="utf-8")
    assert "beforeunload" in script and "data-warn-unsaved" in script
