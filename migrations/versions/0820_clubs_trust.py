"""clubs trust: unique club names, one queue place per person, a meeting per consultation

Revision ID: 0820
Revises: 0700
Create Date: 2026-12-10 10:00:00

- ``club.name_key``: the club name with case, accents and spacing folded, unique.
  Existing clubs get their key here. Clubs that already share a name keep their
  name: the oldest club gets the plain key, each later one the key plus
  `` #<id>`` (so the constraint holds); they must pick a distinct name on their
  next rename. The duplicates are printed, so staff can contact those clubs.
- ``consultation_queue_entry``: a partial unique index (day, user_id) over open
  places (waiting, admitted); older duplicates are closed as "left". Each
  admitted consultation gets its own staff room: ``room_id``.
- ``consultation_schedule.room_id`` is dropped: the one shared consultation
  room is no longer used.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0820'
down_revision = '0810'
branch_labels = None
depends_on = None

NAME_KEY_LENGTH = 480
ACTIVE = sa.text("status IN ('waiting', 'admitted')")


def _name_key(name):
    """Frozen copy of app.clubs.models.club_name_key (migrations must not follow later code changes)."""
    text = unicodedata.normalize("NFKD", (name or "").casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _fill_name_keys(conn):
    club = sa.table("club", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("name_key", sa.String))
    rows = conn.execute(sa.select(club.c.id, club.c.name).order_by(club.c.id)).all()
    wanted = {row.id: _name_key(row.name)[:NAME_KEY_LENGTH] for row in rows}
    used, duplicates = set(), []
    for row in rows:
        key = wanted[row.id]
        if key in used:
            duplicates.append((row.id, row.name))
            suffix = f" #{row.id}"
            key = key[:NAME_KEY_LENGTH - len(suffix)] + suffix
        used.add(key)
        conn.execute(sa.update(club).where(club.c.id == row.id).values(name_key=key))
    if duplicates:
        print("0820: clubs sharing a name with an older club (they keep it until their next rename): "
              + ", ".join(f"{club_id} {name!r}" for club_id, name in duplicates))


def _close_duplicate_queue_places(conn):
    entry = sa.table("consultation_queue_entry", sa.column("id", sa.Integer), sa.column("day", sa.Date),
                     sa.column("user_id", sa.Integer), sa.column("status", sa.String))
    rows = conn.execute(sa.select(entry.c.id, entry.c.day, entry.c.user_id)
                        .where(entry.c.status.in_(["waiting", "admitted"]), entry.c.user_id.is_not(None))
                        .order_by(entry.c.id)).all()
    seen, extra = set(), []
    for row in rows:
        if (row.day, row.user_id) in seen:
            extra.append(row.id)
        seen.add((row.day, row.user_id))
    if extra:
        conn.execute(sa.update(entry).where(entry.c.id.in_(extra)).values(status="left"))


def upgrade():
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=NAME_KEY_LENGTH), nullable=True))
    _fill_name_keys(op.get_bind())
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=NAME_KEY_LENGTH), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_club_name_key'), ['name_key'])

    _close_duplicate_queue_places(op.get_bind())
    with op.batch_alter_table('consultation_queue_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_id', sa.Integer(), nullable=True))
        batch_op.create_index('uq_consultation_queue_entry_active_user', ['day', 'user_id'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)

    with op.batch_alter_table('consultation_schedule', schema=None) as batch_op:
        batch_op.drop_column('room_id')


def downgrade():
    with op.batch_alter_table('consultation_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('consultation_queue_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_consultation_queue_entry_active_user')
        batch_op.drop_column('room_id')

    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_club_name_key'), type_='unique')
        batch_op.drop_column('name_key')
