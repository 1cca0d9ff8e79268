"""workshops, consultation hour (Sprechstunde), public pages

Revision ID: 0600
Revises: 0500
Create Date: 2026-11-29 14:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0600'
down_revision = '0500'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consultation_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_exception')),
    sa.UniqueConstraint('day', name=op.f('uq_consultation_exception_day'))
    )
    op.create_table('consultation_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rrule', sa.String(length=300), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_schedule'))
    )
    op.create_table('page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited_by_staff', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_page_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page')),
    sa.UniqueConstraint('slug', name=op.f('uq_page_slug'))
    )
    op.create_table('workshop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('starts_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('online', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registration_deadline', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('materials_url', sa.String(length=500), nullable=True),
    sa.Column('cancelled_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('materials_sent_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('participants_purged_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('participant_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_workshop_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop'))
    )
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_topic'), ['topic'], unique=False)

    op.create_table('consultation_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('slot_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('club_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('reminder_sent_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_consultation_booking_club_id_club'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_consultation_booking_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_booking')),
    sa.UniqueConstraint('slot_at', name=op.f('uq_consultation_booking_slot_at'))
    )
    with op.batch_alter_table('consultation_booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_booking_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_booking_user_id'), ['user_id'], unique=False)

    op.create_table('workshop_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('club_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('queued_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('reminder_sent_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_workshop_registration_club_id_club'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_workshop_registration_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_registration_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_registration')),
    sa.UniqueConstraint('workshop_id', 'user_id', name='uq_workshop_registration_workshop_user')
    )
    with op.batch_alter_table('workshop_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_registration_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_registration_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_registration_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('consultation_queue_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('club_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('joined_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('priority_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('admitted_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('finished_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['consultation_booking.id'], name=op.f('fk_consultation_queue_entry_booking_id_consultation_booking'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_consultation_queue_entry_club_id_club'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_consultation_queue_entry_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_queue_entry'))
    )
    with op.batch_alter_table('consultation_queue_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_queue_entry_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_queue_entry_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_queue_entry_user_id'), ['user_id'], unique=False)


def downgrade():
    for table in ("consultation_queue_entry", "workshop_registration", "consultation_booking", "workshop", "page",
                  "consultation_schedule", "consultation_exception"):
        op.drop_table(table)
