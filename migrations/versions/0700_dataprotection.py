"""dataprotection: personal data exports, club closures with deletion steps

Revision ID: 0700
Revises: 0600
Create Date: 2026-11-29 14:35:00

ClubStatus gained the value "closed"; the status columns are plain strings
(native_enum=False, no CHECK constraint), so no schema change is needed for it.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0700'
down_revision = '0600'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('ready_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_data_export_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_export'))
    )
    with op.batch_alter_table('data_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_export_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_export_user_id'), ['user_id'], unique=False)

    op.create_table('club_deletion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=True),
    sa.Column('club_pseudonym', sa.String(length=32), nullable=False),
    sa.Column('previous_status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('delete_after', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('restored_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('restored_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_club_deletion_club_id_club'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_club_deletion_requested_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['restored_by_id'], ['user.id'], name=op.f('fk_club_deletion_restored_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_club_deletion'))
    )
    with op.batch_alter_table('club_deletion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_club_deletion_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_club_deletion_delete_after'), ['delete_after'], unique=False)

    op.create_table('club_deletion_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deletion_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('done_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['deletion_id'], ['club_deletion.id'], name=op.f('fk_club_deletion_step_deletion_id_club_deletion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_club_deletion_step'))
    )
    with op.batch_alter_table('club_deletion_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_club_deletion_step_deletion_id'), ['deletion_id'], unique=False)


def downgrade():
    with op.batch_alter_table('club_deletion_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_club_deletion_step_deletion_id'))
    op.drop_table('club_deletion_step')
    with op.batch_alter_table('club_deletion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_club_deletion_delete_after'))
        batch_op.drop_index(batch_op.f('ix_club_deletion_club_id'))
    op.drop_table('club_deletion')
    with op.batch_alter_table('data_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_export_user_id'))
        batch_op.drop_index(batch_op.f('ix_data_export_expires_at'))
    op.drop_table('data_export')
