"""A checklist save is a compare-and-set, in few statements.

The save reads the answer (and its version), then writes ``UPDATE … WHERE version = <the version read>``.
Staleness between two requests is caught by comparing versions; a save by someone else *between* the read
and the write of one request is caught only by the version condition in the UPDATE. These tests put a
second save, in its own session and connection, exactly there.
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from app.privacy.models import Answer, AnswerChange
from tests.conftest import HX


def _interleave_before_answer_write(app, other_save):
    """Run ``other_save()`` in a second app context (own session and connection) right before the first
    statement that writes ``privacy_answer`` (the save's UPDATE or INSERT), once."""
    fired = []

    def before(conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().upper()
        writes_answer = text.startswith(("UPDATE PRIVACY_ANSWER ", "INSERT INTO PRIVACY_ANSWER ")) or (
            text.startswith("WITH ") and "(UPDATE PRIVACY_ANSWER " in text  # PostgreSQL: the save in one statement
        )
        if fired or not writes_answer:
            return
        fired.append(statement)
        with app.app_context():
            other_save()
            db.session.remove()

    sa.event.listen(db.engine, "before_cursor_execute", before)
    return fired, lambda: sa.event.remove(db.engine, "before_cursor_execute", before)


def _save_in_own_session(club_id, user_id, key, status, version):
    from app.auth.models import User
    from app.clubs.models import Club
    from app.privacy.services import answer_item, club_assessment, club_member_names, current_item

    club = db.session.get(Club, club_id)
    user = db.session.get(User, user_id)
    names = dict(club_member_names(club))
    data = {"status": status, "note": "Von der anderen Sitzung", "responsible_id": None, "due_date": None}
    answer_item(club, current_item(key), user, data, version, names, club_assessment(club))


def test_save_between_read_and_write_of_another_save_conflicts(app, roles, content, answer, client_for, make_user):
    """Two people saved version 1 of an answer; the second save lands between the first one's read and write."""
    assert answer(roles.board, roles.club, "mem-bcc", "partial", version=0).status_code == 200
    second = make_user(email="zweite@verein.example", name="Zora Zweite")
    from app.clubs.models import Membership, Role

    db.session.add(Membership(club_id=roles.club.id, user_id=second.id, role=Role.BOARD))
    db.session.commit()
    club_id, second_id = roles.club.id, second.id

    fired, stop = _interleave_before_answer_write(
        app, lambda: _save_in_own_session(club_id, second_id, "mem-bcc", "no", version=1)
    )
    board_id, client, club = roles.board.id, client_for(roles.board), SimpleNamespace(slug=roles.club.slug)
    db.session.remove()  # the request starts with a session of its own, as in production
    try:
        response = answer(None, club, "mem-bcc", "yes", version=1, client=client)
    finally:
        stop()
    assert fired, "the save wrote no privacy_answer row"
    assert response.status_code == 409
    db.session.expire_all()
    row = db.session.scalar(sa.select(Answer).where(Answer.club_id == club_id, Answer.item_key == "mem-bcc"))
    assert (row.status, row.version, row.updated_by_id) == ("no", 2, second_id)  # the other save stands
    changes = db.session.scalars(
        sa.select(AnswerChange).where(AnswerChange.item_key == "mem-bcc").order_by(AnswerChange.id)
    ).all()
    assert [c.user_id for c in changes] == [board_id, second_id]  # no history for the refused save
    _assert_score_matches_answers(club_id)  # the score is the other save's, not the refused one's


def _assert_score_matches_answers(club_id):
    from app.clubs.models import Club
    from app.privacy.models import Assessment
    from app.privacy.services import club_summary

    db.session.remove()
    stored = db.session.scalar(sa.select(Assessment).where(Assessment.club_id == club_id))
    computed = club_summary(db.session.get(Club, club_id), stored)
    assert (stored.score, stored.answered_count) == (computed["score"], computed["answered"])


def test_first_answers_given_at_the_same_time_conflict(app, roles, content, set_profile, answer, client_for):
    """Both read "no answer yet" (version 0); the other first answer is stored between read and write."""
    set_profile(roles.club)  # the assessment row exists: the answer is the save's first write
    club_id, member_id = roles.club.id, roles.board.id
    fired, stop = _interleave_before_answer_write(
        app, lambda: _save_in_own_session(club_id, member_id, "breach-plan", "no", version=0)
    )
    client, club = client_for(roles.board), SimpleNamespace(slug=roles.club.slug)
    db.session.remove()  # the request starts with a session of its own, as in production
    try:
        response = answer(None, club, "breach-plan", "yes", version=0, client=client)
    finally:
        stop()
    assert fired and response.status_code == 409
    db.session.expire_all()
    row = db.session.scalar(sa.select(Answer).where(Answer.club_id == club_id, Answer.item_key == "breach-plan"))
    assert (row.status, row.version) == ("no", 1)


def test_save_runs_few_statements(roles, content, set_profile, answer, client_for, count_queries):
    set_profile(roles.club)
    client = client_for(roles.board)
    for key in ("mem-bcc", "breach-plan"):
        assert answer(roles.board, roles.club, key, "partial", version=0, client=client).status_code == 200
    club_id, slug, member_id = roles.club.id, roles.club.slug, roles.member.id
    db.session.expire_all()  # the tests share one session: start from what a new request would have
    path = f"/c/{slug}/datenschutz/selbstcheck"
    with count_queries() as q:  # from the checklist page: the answer and the score are swapped in
        response = client.post(
            f"/c/{slug}/datenschutz/punkt/mem-bcc",
            data={"status": "yes", "version": "1", "note": "", "responsible_id": str(member_id), "due_date": ""},
            headers=dict(HX, **{"HX-Current-URL": "http://localhost" + path}),
        )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Moritz Mitglied" in html  # the responsible person is named from the member list read once
    # account, club and membership; assessment with the content version and the answers; member list; then the
    # compare-and-set, history and score (on PostgreSQL one statement)
    assert q.count <= (4 if db.engine.dialect.name == "postgresql" else 6), "\n".join(s for s in q.statements)
    db.session.expire_all()
    row = db.session.scalar(sa.select(Answer).where(Answer.club_id == club_id, Answer.item_key == "mem-bcc"))
    assert (row.status, row.version, row.responsible_id) == ("yes", 2, member_id)


def test_a_click_that_names_nobody_reads_no_member_list(roles, content, set_profile, answer, client_for, count_queries):
    """The autosave of a click on an answer (from the checklist page) needs the members only to check or show a
    responsible person: without one it runs five statements (three on PostgreSQL), the member list not among them."""
    set_profile(roles.club)
    client = client_for(roles.board)
    assert answer(roles.board, roles.club, "mem-bcc", "partial", version=0, client=client).status_code == 200
    slug = roles.club.slug
    db.session.expire_all()
    with count_queries() as q:
        response = client.post(
            f"/c/{slug}/datenschutz/punkt/mem-bcc",
            data={"status": "yes", "version": "1", "note": "", "responsible_id": "", "due_date": "", "autosave": "1"},
            headers=dict(HX, **{"HX-Current-URL": f"http://localhost/c/{slug}/datenschutz/selbstcheck"}),
        )
    assert response.status_code == 200
    assert "Vera Vorstand" in response.get_data(as_text=True)  # "zuletzt geändert … von": the saver, known
    assert q.count <= (3 if db.engine.dialect.name == "postgresql" else 5), "\n".join(q.statements)
    member_list = "SELECT user.id, user.name \nFROM user JOIN membership"
    assert not any(s.replace('"', "").startswith(member_list) for s in q.statements), q.statements
    # a responsible person who is no member is still refused (the list is read for that check)
    response = client.post(
        f"/c/{slug}/datenschutz/punkt/mem-bcc",
        data={"status": "yes", "version": "2", "note": "", "responsible_id": str(roles.outsider.id), "due_date": ""},
        headers=HX,
    )
    assert response.status_code == 422 and "Bitte wählen Sie ein Mitglied Ihres Vereins." in response.get_data(
        as_text=True
    )


def _click(client, slug, version):
    return client.post(
        f"/c/{slug}/datenschutz/punkt/mem-bcc",
        data={
            "status": "yes" if version % 2 else "no",
            "version": str(version),
            "note": "",
            "responsible_id": "",
            "due_date": "",
            "autosave": "1",
        },
        headers=dict(HX, **{"HX-Current-URL": f"http://localhost/c/{slug}/datenschutz/selbstcheck"}),
    )


def test_a_changed_answer_commits_asynchronously_on_postgresql_only_for_itself(
    app, roles, content, set_profile, answer, client_for, count_queries
):
    """With CHECKLIST_ASYNC_COMMIT (the default) PostgreSQL's one-statement save turns off the wait for the disk
    flush for its own transaction: the pooled connection keeps ``synchronous_commit = on`` for everything after it.
    Turned off, the save asks for nothing. SQLite never does (its three statements, synchronous=NORMAL)."""
    set_profile(roles.club)
    client = client_for(roles.board)
    assert answer(roles.board, roles.club, "mem-bcc", "partial", version=0, client=client).status_code == 200
    postgres = db.engine.dialect.name == "postgresql"
    for version, asynchronous in ((1, True), (2, False), (3, True)):
        app.config["CHECKLIST_ASYNC_COMMIT"] = asynchronous
        db.session.expire_all()
        with count_queries() as q:
            assert _click(client, roles.club.slug, version).status_code == 200
        asks = [s for s in q.statements if "set_config" in s]
        assert len(asks) == (1 if postgres and asynchronous else 0), q.statements
        if asks:
            assert " ".join(asks[0].split()).startswith("WITH cas AS (UPDATE privacy_answer"), asks[0]
        db.session.expire_all()
        row = db.session.scalar(sa.select(Answer).where(Answer.club_id == roles.club.id, Answer.item_key == "mem-bcc"))
        assert row.version == version + 1  # saved either way
        if postgres:
            with db.engine.connect() as conn:  # the pool's most recent connection: the one the save used
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AnswerChange).where(AnswerChange.club_id == roles.club.id)
        )
        == 4
    )  # the first answer and three changes, each with its history
