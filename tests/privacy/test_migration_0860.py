"""Migration 0860 on existing data: checklist versions and guide pages loaded before items and pages
carried a "Stand" date, structured sources and action texts.

Runs on a scratch database of the same kind as the suite's (SQLite file, or a throwaway
database on the PostgreSQL server in ``DATABASE_URL``). After the upgrade, the shipped
content is published as a new version over the old one: answers survive, and exactly the
questions whose wording, severity, legal basis or conditions changed ask for confirmation.
"""

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db

REVISION = "0860"


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


def _old_item(key, **overrides):
    """An item row as content version 1 stored it before 0860 (bare URL sources, no action, no date)."""
    row = {
        "key": key,
        "topic_key": "organisation",
        "position": 0,
        "severity": "tip",
        "question_de": f"Frage {key}?",
        "question_en": f"Question {key}?",
        "why_de": "Weil.",
        "why_en": "Because.",
        "legal_basis": "Art. 21 DSGVO",
        "applies_if": [],
        "chapters": ["auskunft"],
        "sources": ["https://www.datenschutzkonferenz-online.de/dsfa.html"],
        "content_hash": "old",
        "change": None,
    }
    row.update(overrides)
    return row


def test_upgrade_keeps_old_content_and_the_next_publish_fills_the_new_fields(scratch_url, tmp_path):
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    scratch = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch_url},
        instance_path=str(tmp_path / "instance"),
    )
    with scratch.app_context():
        script = ScriptDirectory.from_config(scratch.extensions["migrate"].migrate.get_config())
        before = script.get_revision(REVISION).down_revision
        upgrade(revision=before)
        now = datetime.now(UTC).replace(tzinfo=None)
        with db.engine.begin() as conn:
            meta = sa.MetaData()
            version, topic, item, page, revision = (
                sa.Table(n, meta, autoload_with=conn)
                for n in ("privacy_version", "privacy_topic", "privacy_item", "content_page", "content_revision")
            )
            # no explicit ids: PostgreSQL's sequences must stay in step for the publish below
            version_id = conn.execute(
                version.insert().values(number=1, content_hash="old", published_at=now)
            ).inserted_primary_key[0]
            conn.execute(
                topic.insert(),
                [
                    {
                        "version_id": version_id,
                        "key": "organisation",
                        "position": 0,
                        "title_de": "Organisation",
                        "title_en": "Organisation",
                    }
                ],
            )
            conn.execute(item.insert(), [dict(_old_item("rights-objection"), version_id=version_id)])
            page_id = conn.execute(
                page.insert().values(
                    kind="chapter",
                    slug="auskunft",
                    title="Auskunft",
                    body="Alt.",
                    is_published=True,
                    published_number=1,
                    staff_edited=False,
                    source_hash="old",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                revision.insert(),
                [
                    {
                        "page_id": page_id,
                        "number": 1,
                        "title": "Auskunft",
                        "body": "Alt.",
                        "source": "shipped",
                        "created_at": now,
                    }
                ],
            )
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            old_item = conn.execute(
                sa.text("SELECT action_de, action_en, reviewed_on FROM privacy_item WHERE key = 'rights-objection'")
            ).one()
            old_page = conn.execute(
                sa.text("SELECT reviewed_on, sources FROM content_page WHERE slug = 'auskunft'")
            ).one()
        downgrade(revision=before)  # reversible, and again
        upgrade()  # to the head: the app's models below match the newest schema, not this revision's

        # the old version still displays, bare URLs as links
        from app.privacy.models import ChecklistItem

        shown = db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.key == "rights-objection"))
        links = shown.source_links

        # publishing the shipped file marks the legally changed question and fills the new fields
        from app.privacy.content import publish, read_file

        new_version = publish(read_file(), note="Rechtsstand 12/2026")
        db.session.commit()
        new_item = db.session.scalar(
            sa.select(ChecklistItem).where(
                ChecklistItem.version_id == new_version.id, ChecklistItem.key == "rights-objection"
            )
        )
        result = (
            new_version.number,
            new_item.change,
            new_item.severity,
            new_item.action_de,
            new_item.reviewed_on,
            new_item.sources[0]["label"],
        )
        db.session.remove()
        db.engine.dispose()
    assert tuple(old_item) == (None, None, None)
    assert tuple(old_page) == (None, None)
    assert links == [
        {
            "label": "https://www.datenschutzkonferenz-online.de/dsfa.html",
            "url": "https://www.datenschutzkonferenz-online.de/dsfa.html",
        }
    ]
    number, change, severity, action, reviewed, label = result
    assert (number, change, severity) == (2, "changed", "must")  # was "Tipp", now "Pflicht"
    assert action.startswith("Weisen Sie") and reviewed.isoformat() == "2026-12-02" and label.startswith("DSGVO")
