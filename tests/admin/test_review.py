"""Review dates of the legal texts: due list, marking as reviewed, the monthly reminder."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import format_date

from app.admin import review
from app.core.audit import AuditEntry
from app.extensions import db
from app.guide.models import ContentPage
from app.privacy.models import ChecklistItem
from tests.privacy.conftest import set_profile  # noqa: F401  (fixture)

OLD = date(2020, 1, 15)


@pytest.fixture(autouse=True)
def _empty_search_index(app):
    """The guide's search index is no model, so the suite's table cleanup does not reach it."""
    yield
    from app.guide import search

    db.session.rollback()
    search.clear()
    db.session.commit()


@pytest.fixture
def texts(app):
    """The shipped checklist and guide, with one item, one chapter and one article made old."""
    from app.guide.services import sync_shipped_content
    from app.privacy.content import sync

    sync()
    sync_shipped_content()
    today = date.today()
    for item in db.session.scalars(sa.select(ChecklistItem)):
        item.reviewed_on = OLD if item.key == "proc-avv" else today
    for page in db.session.scalars(sa.select(ContentPage)):
        page.reviewed_on = today
    chapter = db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == "chapter").order_by(ContentPage.id))
    article = db.session.scalar(sa.select(ContentPage).where(ContentPage.kind == "article").order_by(ContentPage.id))
    chapter.reviewed_on = date(2021, 6, 1)
    article.reviewed_on = None
    from app.privacy.services import content_revised, current_version

    content_revised(current_version().id)  # review dates changed in place, as mark_reviewed does
    db.session.commit()
    return {"chapter": chapter.slug, "article": article.slug}


def _keys(items):
    return [(t.kind, t.key) for t in items]


def test_due_list_shows_texts_older_than_the_setting(app, texts):
    with app.app_context():
        due = review.due_texts()
    # oldest first; without a date first of all
    assert _keys(due) == [("article", texts["article"]), ("checklist", "proc-avv"), ("chapter", texts["chapter"])]
    app.config["CONTENT_REVIEW_MONTHS"] = 12 * 10  # ten years: only the text without a date is due
    with app.app_context():
        assert _keys(review.due_texts()) == [("article", texts["article"])]


def test_months_before_keeps_the_day_or_takes_the_last_of_the_month():
    assert review.months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)
    assert review.months_before(date(2027, 1, 15), 12) == date(2026, 1, 15)
    assert review.months_before(date(2028, 2, 29), 12) == date(2027, 2, 28)


def test_staff_page_lists_due_texts_and_everything_on_request(roles, texts, client_for):
    client = client_for(roles.staff)
    page = client.get("/admin/pruefung").get_data(as_text=True)
    assert "3 Texte sind zur Prüfung fällig." in page
    assert "(proc-avv)" in page and f"({texts['chapter']})" in page and "ohne Stand" in page
    assert "(org-owner)" not in page  # reviewed today
    everything = client.get("/admin/pruefung?alle=1").get_data(as_text=True)
    assert "(org-owner)" in everything and "(proc-avv)" in everything
    for user in (roles.board, roles.member):
        assert client_for(user).get("/admin/pruefung").status_code == 403
        assert (
            client_for(user).post("/admin/pruefung/geprueft", data={"kind": "checklist", "key": "proc-avv"}).status_code
            == 403
        )
    assert client_for(None).get("/admin/pruefung").status_code in (302, 401)


def test_marking_a_checklist_item_reviewed_updates_the_date_users_see(app, roles, texts, client_for, set_profile):
    client = client_for(roles.staff)
    response = client.post("/admin/pruefung/geprueft", data={"kind": "checklist", "key": "proc-avv"})
    assert response.status_code == 303
    today = date.today()
    with app.app_context():
        assert "proc-avv" not in [t.key for t in review.due_texts()]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "content.reviewed"))
    assert entry.actor_id == roles.staff.id
    assert entry.details == {
        "kind": "checklist",
        "key": "proc-avv",
        "before": OLD.isoformat(),
        "reviewed_on": today.isoformat(),
    }
    set_profile(roles.club)
    item_page = client_for(roles.member).get(f"/c/{roles.club.slug}/datenschutz/punkt/proc-avv").get_data(as_text=True)
    with app.test_request_context():
        shown = format_date(today, "medium")
    assert f"Stand: {shown}" in item_page


def test_marking_a_chapter_reviewed_updates_the_date_users_see(app, roles, texts, client_for):
    slug = texts["chapter"]
    assert "Stand: 01.06.2021" in client_for(None).get(f"/leitfaden/{slug}").get_data(as_text=True)
    response = client_for(roles.staff).post("/admin/pruefung/geprueft", data={"kind": "chapter", "key": slug})
    assert response.status_code == 303
    with app.test_request_context():
        shown = format_date(date.today(), "medium")
    page = client_for(None).get(f"/leitfaden/{slug}").get_data(as_text=True)
    assert f"Stand: {shown}" in page and "01.06.2021" not in page


@pytest.mark.parametrize(
    "kind,key",
    [("checklist", "gibt-es-nicht"), ("chapter", "gibt-es-nicht"), ("template", "x"), ("", ""), ("x" * 50, "y")],
)
def test_unknown_texts_are_refused_without_a_write(roles, texts, client_for, kind, key):
    response = client_for(roles.staff).post("/admin/pruefung/geprueft", data={"kind": kind, "key": key})
    assert response.status_code == 404
    assert "Diesen Text gibt es nicht" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "content.reviewed")) is None


def test_a_later_review_survives_publishing_the_same_text_again(app, texts):
    from app.privacy.content import publish, read_file
    from app.privacy.services import current_items

    today = date.today()
    with app.app_context():
        review.mark_reviewed("checklist", "proc-avv", by=None, today=today)
        # an item nobody marked, with a date older than the file's (the fixture made every item "today")
        db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.key == "org-owner")).reviewed_on = OLD
        db.session.commit()
        publish(read_file(), note="gleicher Text")
        db.session.commit()
        items = {item.key: item for item in current_items()}
    assert items["proc-avv"].reviewed_on == today  # the file's date is older, the text the same
    assert items["org-owner"].reviewed_on == read_date("org-owner")  # not marked: the file's date


def read_date(key):
    from app.core.sources import parse_reviewed
    from app.privacy.content import read_file

    return next(parse_reviewed(raw["reviewed"]) for raw in read_file()["items"] if raw["id"] == key)


def test_monthly_reminder_mails_staff_the_due_texts(roles, texts, runner, mailbox, make_user):
    second = make_user(email="zweite@plattform.example", name="Zora Zweit", staff=True)
    result = runner.invoke(args=["review-reminder"])
    assert result.exit_code == 0, result.output
    assert "3 Text(e) zur Prüfung fällig, 2 Erinnerung(en) verschickt." in result.output
    for user in (roles.staff, second):
        mails = mailbox.to(user.email)
        assert len(mails) == 1 and "Fällige Prüfung: 3 Rechtstexte" in mails[0]["Subject"]
        body = mailbox.body(mails[0])
        assert "proc-avv" in body and texts["chapter"] in body and "Stand 01.06.2021" in body and "ohne Stand" in body
        assert "http://localhost/admin/pruefung" in body
    assert not mailbox.to(roles.board.email) and not mailbox.to(roles.member.email)


def test_no_reminder_when_nothing_is_due(app, roles, texts, runner, mailbox):
    app.config["CONTENT_REVIEW_MONTHS"] = 12 * 100
    db.session.scalar(sa.select(ContentPage).where(ContentPage.slug == texts["article"])).reviewed_on = date.today()
    db.session.commit()
    result = runner.invoke(args=["review-reminder"])
    assert result.exit_code == 0 and "0 Text(e) zur Prüfung fällig, 0 Erinnerung(en)" in result.output
    assert not mailbox.to(roles.staff.email)


def test_the_timer_and_the_crontab_run_the_reminder_monthly():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    timer = (root / "deploy/systemd/vereinsraum-review-reminder.timer").read_text()
    assert "OnCalendar=*-*-01 " in timer and "Unit=vereinsraum-task@review\\x2dreminder.service" in timer
    cron = [
        line.split() for line in (root / "deploy/crontab.example").read_text().splitlines() if "review-reminder" in line
    ]
    assert len(cron) == 1 and cron[0][2] == "1" and cron[0][-1] == "review-reminder"
