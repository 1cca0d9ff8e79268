"""the first hour (issue 16, part B): the "Erste Schritte" box can be put away per club; the default
meeting room is named after its club

Revision ID: 0895
Revises: 0870
Create Date: 2026-12-02 23:30:00

``club.first_steps_dismissed_at`` is nullable: existing clubs see the box until their board puts it
away or has done every step. Default rooms that still carry the old fixed name "Vereinsraum" get their
club's name (cut to the room name's 64 characters); rooms the board renamed keep their name. The
downgrade drops the column and leaves room names as they are (no data is lost either way).
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0895'
down_revision = '0870'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_steps_dismissed_at', app.core.db.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE meeting_room SET name = ("
        " SELECT RTRIM(SUBSTR(club.name, 1, 64)) FROM club WHERE club.id = meeting_room.club_id"
        ") WHERE is_default AND name = 'Vereinsraum' AND club_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_column('first_steps_dismissed_at')
