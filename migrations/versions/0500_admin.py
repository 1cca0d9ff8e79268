"""admin: staff notes; indexes for the admin club list and audit log

Revision ID: 0500
Revises: 0400
Create Date: 2026-11-29 14:55:00

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0500'
down_revision = '0400'
branch_labels = None
# The answers index needs the privacy tables (revision 0100) to exist first.
depends_on = '0100'


def upgrade():
    op.create_table('admin_staff_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_admin_staff_note_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_admin_staff_note_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_staff_note'))
    )
    with op.batch_alter_table('admin_staff_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_staff_note_club_id'), ['club_id'], unique=False)

    # Indexes on foundation tables (admin list sorting/counting, audit log per club).
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.create_index('ix_admin_club_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_admin_club_name', ['name'], unique=False)
        batch_op.create_index('ix_admin_club_district_status', ['district', 'status'], unique=False)
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index('ix_admin_membership_club_role', ['club_id', 'role'], unique=False)
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_admin_audit_club_created', ['club_id', 'created_at'], unique=False)
    with op.batch_alter_table('privacy_answer', schema=None) as batch_op:
        batch_op.create_index('ix_admin_privacy_answer_item_status', ['item_key', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('privacy_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_privacy_answer_item_status')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_audit_club_created')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_membership_club_role')
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_club_district_status')
        batch_op.drop_index('ix_admin_club_name')
        batch_op.drop_index('ix_admin_club_created_at')
    with op.batch_alter_table('admin_staff_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_staff_note_club_id'))
    op.drop_table('admin_staff_note')
