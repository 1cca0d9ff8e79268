"""toolkit: data-subject requests, the breach log, the record of processing activities, privacy notices

Revision ID: 0900
Revises: 0895
Create Date: 2026-12-02 23:30:00

Issue 18 (the board's data-protection toolkit): new tables only, nothing changed in existing ones.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0900'
down_revision = '0895'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('toolkit_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection', name='requestkind', native_enum=False, length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.Enum('email', 'letter', 'in_person', 'phone', 'other', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extended_months', sa.Integer(), server_default='0', nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('reminded_stage', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_toolkit_request_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_toolkit_request_closed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_toolkit_request_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_request'))
    )
    with op.batch_alter_table('toolkit_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_toolkit_request_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_toolkit_request_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_toolkit_request_closed_on'), ['closed_on'], unique=False)

    op.create_table('toolkit_breach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('discovered_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('data_kinds', sa.Text(), nullable=False),
    sa.Column('affected_count', sa.Integer(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('risk', sa.Enum('no', 'unsure', 'yes', name='risk', native_enum=False, length=16), nullable=False),
    sa.Column('high_risk', sa.Enum('no', 'unsure', 'yes', name='risk', native_enum=False, length=16), nullable=False),
    sa.Column('effects', sa.Text(), nullable=False),
    sa.Column('remedies', sa.Text(), nullable=False),
    sa.Column('authority_notified_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('people_notified_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('not_notified_reason', sa.Text(), nullable=True),
    sa.Column('closed_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('reminded_stage', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_toolkit_breach_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_toolkit_breach_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_breach'))
    )
    with op.batch_alter_table('toolkit_breach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_toolkit_breach_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_toolkit_breach_discovered_at'), ['discovered_at'], unique=False)

    op.create_table('toolkit_record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_toolkit_record_version_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_toolkit_record_version_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_record_version')),
    sa.UniqueConstraint('club_id', 'number', name='uq_toolkit_record_version_club_number')
    )
    with op.batch_alter_table('toolkit_record_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_toolkit_record_version_club_id'), ['club_id'], unique=False)

    op.create_table('toolkit_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('record_shared', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_toolkit_settings_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_settings')),
    sa.UniqueConstraint('club_id', name=op.f('uq_toolkit_settings_club_id'))
    )

    op.create_table('toolkit_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('mitgliedsantrag', 'website', name='noticekind', native_enum=False, length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('record_number', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_toolkit_notice_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_toolkit_notice_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_notice')),
    sa.UniqueConstraint('club_id', 'kind', 'number', name='uq_toolkit_notice_club_kind_number')
    )
    with op.batch_alter_table('toolkit_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_toolkit_notice_club_id'), ['club_id'], unique=False)


def downgrade():
    with op.batch_alter_table('toolkit_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_toolkit_notice_club_id'))
    op.drop_table('toolkit_notice')
    op.drop_table('toolkit_settings')
    with op.batch_alter_table('toolkit_record_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_toolkit_record_version_club_id'))
    op.drop_table('toolkit_record_version')
    with op.batch_alter_table('toolkit_breach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_toolkit_breach_discovered_at'))
        batch_op.drop_index(batch_op.f('ix_toolkit_breach_club_id'))
    op.drop_table('toolkit_breach')
    with op.batch_alter_table('toolkit_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_toolkit_request_closed_on'))
        batch_op.drop_index(batch_op.f('ix_toolkit_request_due_on'))
        batch_op.drop_index(batch_op.f('ix_toolkit_request_club_id'))
    op.drop_table('toolkit_request')
