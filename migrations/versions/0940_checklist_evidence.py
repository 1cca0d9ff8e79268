"""evidence on checklist items: uploaded files (stored outside the web root) and dated notes

Revision ID: 0940
Revises: 0926
Create Date: 2026-12-03 04:30:00

Issue 18 item 5. A new table only; existing clubs have no evidence.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0940'
down_revision = '0926'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('privacy_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.Enum('file', 'note', name='evidencekind', native_enum=False, length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('noted_on', sa.Date(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('storage_name', sa.String(length=64), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_privacy_evidence_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_privacy_evidence_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_evidence')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_privacy_evidence_storage_name'))
    )
    with op.batch_alter_table('privacy_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_evidence_club_id'), ['club_id'], unique=False)


def downgrade():
    with op.batch_alter_table('privacy_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_evidence_club_id'))
    op.drop_table('privacy_evidence')
