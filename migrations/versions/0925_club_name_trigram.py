"""admin search at city scale: a trigram index on the club names (PostgreSQL only, extension pg_trgm), so
the search as you type (name contains …) stays an index lookup at 100,000 clubs

Revision ID: 0925
Revises: 0920
Create Date: 2026-12-03 04:40:00
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0925"
down_revision = "0920"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite scans the names; nothing to add
    # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_admin_club_name_trgm",
        "club",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_admin_club_name_trgm", table_name="club")
    # the extension stays: other objects may use it, and dropping it needs more rights than creating it
