"""data trust: checklist history names the responsible person by id as well

Revision ID: 0830
Revises: 0700
Create Date: 2027-01-12 10:00:00

Export and account deletion match rows by id only (issue 12). The checklist history stored
the responsible person only as a display name; these FKs say whom a history entry names.
Existing rows keep NULL: their names cannot be assigned to an account reliably.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0830'
down_revision = '0820'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('privacy_answer_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('old_responsible_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('new_responsible_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_privacy_answer_change_old_responsible_id_user'), 'user',
                                    ['old_responsible_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_privacy_answer_change_new_responsible_id_user'), 'user',
                                    ['new_responsible_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('privacy_answer_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_privacy_answer_change_new_responsible_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_privacy_answer_change_old_responsible_id_user'), type_='foreignkey')
        batch_op.drop_column('new_responsible_id')
        batch_op.drop_column('old_responsible_id')
