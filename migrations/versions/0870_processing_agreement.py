"""processing agreement (Art. 28 DSGVO) between each club and the platform operator

Revision ID: 0870
Revises: 0860
Create Date: 2026-12-02 23:30:00

Issue 17 item 1: the generated agreement's versions (by the hash of their text) and each club's
acceptances (who and when). New tables only: existing data is untouched.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0870'
down_revision = '0860'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_version')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_agreement_version_content_hash')),
    sa.UniqueConstraint('number', name=op.f('uq_agreement_version_number'))
    )
    op.create_table('agreement_acceptance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user.id'], name=op.f('fk_agreement_acceptance_accepted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_agreement_acceptance_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['agreement_version.id'], name=op.f('fk_agreement_acceptance_version_id_agreement_version'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_acceptance')),
    sa.UniqueConstraint('club_id', 'version_id', name='uq_agreement_acceptance_club_id')
    )
    with op.batch_alter_table('agreement_acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_acceptance_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_acceptance_version_id'), ['version_id'], unique=False)


def downgrade():
    with op.batch_alter_table('agreement_acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_acceptance_version_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_acceptance_club_id'))
    op.drop_table('agreement_acceptance')
    op.drop_table('agreement_version')
