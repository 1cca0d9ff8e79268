"""recurring meetings: a scheduled meeting may repeat (weekly, every two weeks, monthly by weekday)
until a date; single dates of a series can be cancelled or moved; reminder mails (club setting,
members' opt-out, one per date)

Revision ID: 0910
Revises: 0900
Create Date: 2026-12-02 23:40:00

Issue 19 item 3. Existing meetings get ``repeat`` NULL (a single date), so nothing changes for them.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0910'
down_revision = '0900'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduled_meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeat', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('repeat_until', sa.Date(), nullable=True))
    op.create_table(
        'meeting_occurrence_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('original_start', app.core.db.UTCDateTime(), nullable=False),
        sa.Column('new_start', app.core.db.UTCDateTime(), nullable=True),
        sa.Column('cancelled', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['scheduled_meeting.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'original_start', name='uq_occurrence_change_start'),
    )
    with op.batch_alter_table('meeting_occurrence_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_occurrence_change_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_occurrence_change_meeting_id'), ['meeting_id'], unique=False)


    op.create_table(
        'meeting_reminder_setting',
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('club_id'),
    )
    op.create_table(
        'meeting_reminder_optout',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('club_id', 'user_id', name='uq_meeting_reminder_optout'),
    )
    with op.batch_alter_table('meeting_reminder_optout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_reminder_optout_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_reminder_optout_user_id'), ['user_id'], unique=False)
    op.create_table(
        'meeting_reminder_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', app.core.db.UTCDateTime(), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('sent_at', app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['scheduled_meeting.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'starts_at', name='uq_meeting_reminder_sent'),
    )
    with op.batch_alter_table('meeting_reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_reminder_sent_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_reminder_sent_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    for table, columns in (
        ('meeting_reminder_sent', ('club_id', 'meeting_id')),
        ('meeting_reminder_optout', ('club_id', 'user_id')),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
    op.drop_table('meeting_reminder_setting')
    with op.batch_alter_table('meeting_occurrence_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_occurrence_change_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_occurrence_change_club_id'))
    op.drop_table('meeting_occurrence_change')
    with op.batch_alter_table('scheduled_meeting', schema=None) as batch_op:
        batch_op.drop_column('repeat_until')
        batch_op.drop_column('repeat')
