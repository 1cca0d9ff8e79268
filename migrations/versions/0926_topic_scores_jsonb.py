"""statistics at city scale: the self-check's per-topic scores as JSONB on PostgreSQL, so the dashboard's
averages read one key per topic from the stored binary form instead of parsing every row's text

Revision ID: 0926
Revises: 0925
Create Date: 2026-12-03 04:55:00
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0926"
down_revision = "0925"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps JSON as text either way
    op.execute("ALTER TABLE privacy_assessment ALTER COLUMN topic_scores TYPE jsonb USING topic_scores::jsonb")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE privacy_assessment ALTER COLUMN topic_scores TYPE json USING topic_scores::json")
