"""Migration 0800 on existing data: channels and webhooks shared by several clubs before the fix.

Runs on a scratch database of the same kind as the suite's (SQLite file, or a
throwaway database on the PostgreSQL server in ``DATABASE_URL``).
"""

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app import create_app
from app.chat.services import webhook_key
from app.extensions import db


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


def test_upgrade_gives_each_shared_channel_and_webhook_to_one_club(scratch_url, tmp_path):
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    scratch = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch_url, "MATTERMOST_URL": None},
        instance_path=str(tmp_path / "instance"),
    )
    with scratch.app_context():
        script = ScriptDirectory.from_config(scratch.extensions["migrate"].migrate.get_config())
        upgrade(revision=script.get_revision("0800").down_revision)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        hook = "https://chat.example.org/hooks/" + "a" * 26
        with db.engine.begin() as conn:
            meta = sa.MetaData()
            user, club, chat_link = (sa.Table(n, meta, autoload_with=conn) for n in ("user", "club", "chat_link"))
            conn.execute(
                user.insert(),
                [
                    {
                        "id": 1,
                        "email": "v@example.org",
                        "name": "V",
                        "password_hash": "x",
                        "is_staff": False,
                        "created_at": now,
                    }
                ],
            )
            conn.execute(
                club.insert(),
                [
                    {
                        "id": i,
                        "slug": f"verein-{i}",
                        "name": f"Verein {i}",
                        "legal_form": "ev",
                        "district": "Pankow",
                        "contact_email": "v@example.org",
                        "status": "approved",
                        "created_at": now,
                    }
                    for i in range(1, 6)
                ],
            )
            common = {
                "site_url": "https://chat.example.org",
                "team_name": "t",
                "channel_name": "k",
                "private": True,
                "on_platform": True,
                "notices_enabled": True,
                "board_only": False,
                "welcome_posted": False,
                "created_at": now,
                "updated_at": now,
                "webhook_url": None,
            }
            conn.execute(
                chat_link.insert(),
                [
                    dict(common, id=1, club_id=1, kind="linked", channel_id="c" * 26, bot_can_read=True),
                    dict(common, id=2, club_id=2, kind="provisioned", channel_id="c" * 26, bot_can_read=True),
                    dict(common, id=3, club_id=3, kind="linked", channel_id="d" * 26, bot_can_read=True),
                    dict(common, id=4, club_id=4, kind="linked", channel_id=None, bot_can_read=False, webhook_url=hook),
                    dict(
                        common,
                        id=5,
                        club_id=5,
                        kind="linked",
                        channel_id=None,
                        bot_can_read=False,
                        webhook_url=hook.replace("chat.example.org", "CHAT.example.org:443"),
                    ),
                ],
            )
        upgrade(revision="0800")
        with db.engine.connect() as conn:
            rows = {
                r.id: r
                for r in conn.execute(
                    sa.text("SELECT id, channel_id, bot_can_read, webhook_url, webhook_key FROM chat_link ORDER BY id")
                )
            }
        from flask_migrate import downgrade

        downgrade(revision=script.get_revision("0800").down_revision)  # reversible, and again
        upgrade(revision="0800")
        db.engine.dispose()
    # The provisioned link keeps the shared channel; the other one loses it (and the bot's access).
    assert (rows[2].channel_id, bool(rows[2].bot_can_read)) == ("c" * 26, True)
    assert (rows[1].channel_id, bool(rows[1].bot_can_read)) == (None, False)
    assert rows[3].channel_id == "d" * 26
    # The oldest link keeps a shared webhook, however it was spelled.
    assert (rows[4].webhook_url, rows[4].webhook_key) == (hook, webhook_key(hook))
    assert (rows[5].webhook_url, rows[5].webhook_key) == (None, None)
