"""community chat: the platform-wide community channel (one row), who wants to be in it (with the code of
conduct accepted, or removed by staff), and chat ops without a club (the channel's membership changes)

Revision ID: 0950
Revises: 0940
Create Date: 2026-12-03 04:30:00

Issue 20, item 2. Existing data: nothing to convert; ``chat_op.club_id`` only becomes nullable.
Downgrade drops the community ops (they have no club) before making the column NOT NULL again.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0950'
down_revision = "0940"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_op', schema=None) as batch_op:
        batch_op.alter_column('club_id', existing_type=sa.Integer(), nullable=True)

    op.create_table('community_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=26), nullable=False),
    sa.Column('channel_id', sa.String(length=26), nullable=False),
    sa.Column('team_name', sa.String(length=64), nullable=False),
    sa.Column('channel_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_channel')),
    sa.UniqueConstraint('channel_id', name=op.f('uq_community_channel_channel_id'))
    )
    op.create_table('community_member',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('wants', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('blocked', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('accepted_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('mm_user_id', sa.String(length=26), nullable=True),
    sa.Column('in_channel', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_community_member_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_community_member'))
    )


def downgrade():
    op.drop_table('community_member')
    op.drop_table('community_channel')
    op.execute(sa.text("DELETE FROM chat_op WHERE club_id IS NULL"))
    with op.batch_alter_table('chat_op', schema=None) as batch_op:
        batch_op.alter_column('club_id', existing_type=sa.Integer(), nullable=False)
