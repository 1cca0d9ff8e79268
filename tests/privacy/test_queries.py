"""The checklist page runs a constant number of queries, however many items and answers exist."""

import copy
from datetime import date

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
