"""privacy self-assessment: checklist versions, topics, items, answers, history, reminders

Revision ID: 0100
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import app.core.db

revision = "0100"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('privacy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('published_at', app.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_version')),
    sa.UniqueConstraint('number', name=op.f('uq_privacy_version_number'))
    )
    op.create_table('privacy_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('topic_key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('question_de', sa.Text(), nullable=False),
    sa.Column('question_en', sa.Text(), nullable=False),
    sa.Column('why_de', sa.Text(), nullable=False),
    sa.Column('why_en', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.String(length=255), nullable=False),
    sa.Column('applies_if', sa.JSON(), nullable=False),
    sa.Column('chapters', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('change', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['privacy_version.id'], name=op.f('fk_privacy_item_version_id_privacy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_item')),
    sa.UniqueConstraint('version_id', 'key', name='uq_privacy_item_version_key')
    )
    with op.batch_alter_table('privacy_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_item_version_id'), ['version_id'], unique=False)
    op.create_table('privacy_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title_de', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['privacy_version.id'], name=op.f('fk_privacy_topic_version_id_privacy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_topic')),
    sa.UniqueConstraint('version_id', 'key', name='uq_privacy_topic_version_key')
    )
    with op.batch_alter_table('privacy_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_topic_version_id'), ['version_id'], unique=False)
    op.create_table('privacy_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('item_hash', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_privacy_answer_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responsible_id'], ['user.id'], name=op.f('fk_privacy_answer_responsible_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_privacy_answer_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_answer')),
    sa.UniqueConstraint('club_id', 'item_key', name='uq_privacy_answer_club_item')
    )
    with op.batch_alter_table('privacy_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_answer_club_id'), ['club_id'], unique=False)
    op.create_table('privacy_answer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=60), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_privacy_answer_change_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_privacy_answer_change_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_answer_change'))
    )
    with op.batch_alter_table('privacy_answer_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_answer_change_club_id'), ['club_id'], unique=False)
    op.create_table('privacy_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('topic_scores', sa.JSON(), nullable=False),
    sa.Column('answered_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('applicable_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('profile_done_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('members_may_answer', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('consultation_wanted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('started_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_privacy_assessment_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_assessment')),
    sa.UniqueConstraint('club_id', name=op.f('uq_privacy_assessment_club_id'))
    )
    op.create_table('privacy_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=60), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('sent_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_privacy_reminder_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_reminder')),
    sa.UniqueConstraint('club_id', 'item_key', 'due_date', 'kind', name='uq_privacy_reminder_once')
    )
    with op.batch_alter_table('privacy_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_reminder_club_id'), ['club_id'], unique=False)


def downgrade():
    with op.batch_alter_table('privacy_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_reminder_club_id'))
    op.drop_table('privacy_reminder')
    op.drop_table('privacy_assessment')
    with op.batch_alter_table('privacy_answer_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_answer_change_club_id'))
    op.drop_table('privacy_answer_change')
    with op.batch_alter_table('privacy_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_answer_club_id'))
    op.drop_table('privacy_answer')
    with op.batch_alter_table('privacy_topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_topic_version_id'))
    op.drop_table('privacy_topic')
    with op.batch_alter_table('privacy_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_item_version_id'))
    op.drop_table('privacy_item')
    op.drop_table('privacy_version')
