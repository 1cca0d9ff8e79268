"""Migration 0895 on existing data: default rooms still called "Vereinsraum" get their club's name.

Runs on a scratch database of the same kind as the suite's (SQLite file, or a throwaway database on the
PostgreSQL server in ``DATABASE_URL``).
"""

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db

LONG = "Förderverein der Freiwilligen Feuerwehr und des Heimatmuseums Alt-Lichtenrade e. V."


@pytest.fixture
def scratch_url(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "scratch.db")
        return
    name = f"vr_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_names_default_rooms_after_their_club_and_keeps_chosen_names(scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    scratch = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch_url, "MATTERMOST_URL": None},
        instance_path=str(tmp_path / "instance"),
    )
    with scratch.app_context():
        upgrade(revision="0860")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        names = {1: "Imkerverein Pankow", 2: LONG, 3: "Chor Neukölln"}
        with db.engine.begin() as conn:
            meta = sa.MetaData()
            club, room = (sa.Table(n, meta, autoload_with=conn) for n in ("club", "meeting_room"))
            conn.execute(
                club.insert(),
                [
                    {
                        "id": i,
                        "slug": f"verein-{i}",
                        "name": name,
                        "name_key": f"verein {i}",
                        "legal_form": "ev",
                        "district": "Pankow",
                        "contact_email": "v@example.org",
                        "status": "approved",
                        "created_at": now,
                    }
                    for i, name in names.items()
                ],
            )
            common = {
                "who_may_start": "board",
                "guest_access": False,
                "waiting_room": True,
                "mute_on_join": True,
                "recording_allowed": False,
                "created_at": now,
            }
            conn.execute(
                room.insert(),
                [
                    dict(common, id=1, club_id=1, name="Vereinsraum", is_default=True, guest_token="t1"),
                    dict(common, id=2, club_id=2, name="Vereinsraum", is_default=True, guest_token="t2"),
                    dict(common, id=3, club_id=3, name="Probenraum", is_default=True, guest_token="t3"),
                    dict(common, id=4, club_id=1, name="Vereinsraum", is_default=False, guest_token="t4"),
                    dict(common, id=5, club_id=None, name="Vereinsraum", is_default=False, guest_token="t5"),
                ],
            )
        upgrade(revision="0895")
        with db.engine.connect() as conn:
            rooms = dict(conn.execute(sa.text("SELECT id, name FROM meeting_room")).all())
            dismissed = conn.execute(sa.text("SELECT first_steps_dismissed_at FROM club")).scalars().all()
        downgrade(revision="0860")  # reversible, and again
        upgrade(revision="0895")
        db.session.remove()
        db.engine.dispose()
    assert rooms[1] == "Imkerverein Pankow"
    assert rooms[2] == LONG[:64].rstrip() and len(rooms[2]) <= 64
    assert rooms[3] == "Probenraum"  # the board named it: kept
    assert rooms[4] == "Vereinsraum" and rooms[5] == "Vereinsraum"  # not a club's default room: kept
    assert dismissed == [None, None, None]
