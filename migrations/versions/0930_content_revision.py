"""checklist content revision: a counter on the content version that changes when staff mark an item
reviewed, so every process's cached copy of the checklist sees the new "Stand" date

Revision ID: 0930
Revises: 0910
Create Date: 2026-12-03 00:40:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0930"
down_revision = "0910"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("privacy_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("privacy_version", schema=None) as batch_op:
        batch_op.drop_column("revision")
