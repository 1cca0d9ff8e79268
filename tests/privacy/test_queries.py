"""The checklist page runs a constant number of queries, however many items and answers exist."""

import copy
from datetime import date

import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.privacy.content import item_hash, publish, read_file
from app.privacy.models import Answer


def test_checklist_queries_do_not_grow_with_items_or_answers(roles, set_profile, client_for, count_queries):
    data = read_file()
    small = copy.deepcopy(data)
    small["items"] = small["items"][:5]
    publish(small)
    db.session.commit()
    set_profile(roles.club)
    client = client_for(roles.board)
    path = f"/c/{roles.club.slug}/datenschutz/selbstcheck"
    assert client.get(path).status_code == 200  # warm-up
    db.session.expire_all()  # the tests share one session: start both measurements from the same state
    with count_queries() as few:
        assert client.get(path).status_code == 200

    publish(data)
    for raw in data["items"]:
        db.session.add(
            Answer(
                club_id=roles.club.id,
                item_key=raw["id"],
                status="partial",
                note="Notiz",
                responsible_id=roles.member.id,
                due_date=date(2030, 1, 1),
                item_hash=item_hash(raw),
                updated_at=utcnow(),
                updated_by_id=roles.board.id,
            )
        )
    db.session.commit()
    assert client.get(path).status_code == 200  # warm-up again: the new version's items and, now that the
    # checklist shows the processing-agreement item, its evidence line enter their caches once
    db.session.expire_all()
    with count_queries() as many:
        response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="item-form"') >= 35
    assert many.count == few.count, (
        "\n".join(s[:60] for s in few.statements) + "\n----\n" + "\n".join(s[:60] for s in many.statements)
    )
    assert many.count <= 12

    # the same for the action plan and the report
    counts = []
    for page in ("massnahmen", "bericht"):
        with count_queries() as q:
            assert client.get(f"/c/{roles.club.slug}/datenschutz/{page}").status_code == 200
        counts.append(q.count)
    assert max(counts) <= 12


def test_snapshot_reads_every_answer_field_as_the_orm_does(roles, content, app):
    """The snapshot statement brings the answers as JSON: each field must come back with its type (status,
    date, aware UTC time, free text with quotes and umlauts, empty values) exactly as the ORM loads the row."""
    from datetime import datetime, timezone

    from app.privacy.services import _read_snapshot

    with app.test_request_context("/"):
        assert _read_snapshot(roles.club.id).answers == {}  # nothing answered: an empty aggregate
    keys = [raw["id"] for raw in content["items"][:2]]
    when = datetime(2026, 12, 3, 11, 0, 0, 120000, tzinfo=timezone.utc)  # trailing zeros in the fraction
    db.session.add_all(
        [
            Answer(
                club_id=roles.club.id,
                item_key=keys[0],
                status="partial",
                note='Ärger mit "Anführungszeichen",\nzweite Zeile \\ Ende',
                responsible_id=roles.member.id,
                due_date=date(2030, 2, 28),
                item_hash="abc",
                version=3,
                updated_at=when,
                updated_by_id=roles.board.id,
            ),
            Answer(club_id=roles.club.id, item_key=keys[1], status=None, version=1, updated_at=utcnow()),
        ]
    )
    db.session.commit()
    db.session.expire_all()
    with app.test_request_context("/"):
        snapshot = _read_snapshot(roles.club.id)
        stored = {a.item_key: a for a in db.session.scalars(sa.select(Answer).where(Answer.club_id == roles.club.id))}
        assert snapshot.answers.keys() == stored.keys()
        for key, row in snapshot.answers.items():
            for name in row.__slots__:
                assert getattr(row, name) == getattr(stored[key], name), name
                assert type(getattr(row, name)) is type(getattr(stored[key], name)), name
        assert snapshot.answers[keys[0]].updated_at == when
        assert snapshot.answers[keys[0]].updated_at.tzinfo is not None
