"""No overbooking when many people register at the same moment (SQLite and PostgreSQL)."""

import threading

import sqlalchemy as sa

from app.extensions import db
from app.workshops.models import Registration


def _parallel(calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def _counts(workshop):
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.workshop_id == workshop.id)
        .group_by(Registration.status)
    ).all()
    return dict(rows)


def test_parallel_registrations_never_overbook(make_user, client_for, make_workshop, mailbox):
    workshop = make_workshop(capacity=3)
    users = [make_user() for _ in range(12)]
    clients = [client_for(u) for u in users]
    url = f"/workshops/{workshop.id}/anmelden"
    responses = _parallel([lambda c=c: c.post(url) for c in clients])
    assert [r.status_code for r in responses] == [303] * 12
    db.session.expire_all()
    assert _counts(workshop) == {"confirmed": 3, "waiting": 9}
    confirmed_mails = [m for m in mailbox.messages if "Anmeldung bestätigt" in m["Subject"]]
    assert len(confirmed_mails) == 3


def test_parallel_cancellations_move_up_exactly_as_many(make_user, client_for, make_workshop):
    workshop = make_workshop(capacity=4)
    users = [make_user() for _ in range(10)]
    for user in users:
        client_for(user).post(f"/workshops/{workshop.id}/anmelden")
    leaving = users[:4]
    newcomers = [make_user() for _ in range(4)]
    base = f"/workshops/{workshop.id}"
    calls = [lambda c=client_for(u): c.post(base + "/abmelden") for u in leaving]
    calls += [lambda c=client_for(u): c.post(base + "/anmelden") for u in newcomers]
    responses = _parallel(calls)
    assert all(r.status_code == 303 for r in responses)
    db.session.expire_all()
    counts = _counts(workshop)
    assert counts["confirmed"] == 4
    assert counts["cancelled"] == 4
    assert counts["waiting"] == 6
    # The places went to people who waited longest, not to newcomers.
    confirmed = set(
        db.session.scalars(
            sa.select(Registration.user_id).where(
                Registration.workshop_id == workshop.id, Registration.status == "confirmed"
            )
        )
    )
    assert confirmed == {u.id for u in users[4:8]}
