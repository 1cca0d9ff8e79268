"""legal content: "Stand" date and structured sources for checklist items and guide pages;
action texts for checklist items

Revision ID: 0860
Revises: 0830
Create Date: 2026-12-02 18:00:00

Issue 17 item 3 (every legal text carries its date and sources) and issue 16 item 3
(each checklist item has an action text). All columns are nullable: content versions
and pages loaded before this revision have no date, sources or action yet; the next
``flask privacy publish`` / ``flask content-sync`` fills them from the shipped files.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0860'
down_revision = '0830'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('privacy_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_de', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('action_en', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))
    for table in ('content_page', 'content_revision'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))
            batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))


def downgrade():
    for table in ('content_revision', 'content_page'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('sources')
            batch_op.drop_column('reviewed_on')
    with op.batch_alter_table('privacy_item', schema=None) as batch_op:
        batch_op.drop_column('reviewed_on')
        batch_op.drop_column('action_en')
        batch_op.drop_column('action_de')
