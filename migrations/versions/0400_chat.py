"""chat: linked Mattermost channel, Mattermost account ids, sync queue

Revision ID: 0400
Revises: 0300
Create Date: 2026-11-29 14:35:00

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0400'
down_revision = '0300'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_account',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mm_user_id', sa.String(length=26), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('checked_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_chat_account_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_chat_account'))
    )
    with op.batch_alter_table('chat_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_account_mm_user_id'), ['mm_user_id'], unique=False)

    op.create_table('chat_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('site_url', sa.String(length=255), nullable=False),
    sa.Column('team_name', sa.String(length=64), nullable=False),
    sa.Column('channel_name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=True),
    sa.Column('team_id', sa.String(length=26), nullable=True),
    sa.Column('channel_id', sa.String(length=26), nullable=True),
    sa.Column('private', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('on_platform', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('bot_can_read', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('notices_enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('board_only', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('welcome_posted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('archived_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_chat_link_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_link')),
    sa.UniqueConstraint('club_id', name=op.f('uq_chat_link_club_id'))
    )
    op.create_table('chat_op',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('give_up_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('done_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_chat_op_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_op'))
    )
    with op.batch_alter_table('chat_op', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_op_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_op_key'), ['key'], unique=False)
        batch_op.create_index('ix_chat_op_status_next_try', ['status', 'next_try_at'], unique=False)


def downgrade():
    with op.batch_alter_table('chat_op', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_op_status_next_try')
        batch_op.drop_index(batch_op.f('ix_chat_op_key'))
        batch_op.drop_index(batch_op.f('ix_chat_op_club_id'))

    op.drop_table('chat_op')
    op.drop_table('chat_link')
    with op.batch_alter_table('chat_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_account_mm_user_id'))

    op.drop_table('chat_account')
