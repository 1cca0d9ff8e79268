"""guide: content pages, revisions, full-text search index

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-29 14:31:13.444996

The search index ``content_search`` is not a model: on SQLite it is an FTS5
virtual table, on PostgreSQL a table with a tsvector column and a GIN index.
migrations/env.py and tests/test_migrations.py skip it when comparing
models with the database (``db.metadata.info["unmanaged_table_prefixes"]``).
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0200'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('title', sa.String(length=200), server_default='', nullable=False),
    sa.Column('summary', sa.String(length=500), server_default='', nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('title_en', sa.String(length=200), server_default='', nullable=False),
    sa.Column('summary_en', sa.String(length=500), server_default='', nullable=False),
    sa.Column('body_en', sa.Text(), server_default='', nullable=False),
    sa.Column('is_published', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('published_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('published_number', sa.Integer(), nullable=True),
    sa.Column('staff_edited', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_page')),
    sa.UniqueConstraint('kind', 'slug', name='uq_content_page_kind_slug')
    )
    op.create_table('content_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), server_default='', nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('title_en', sa.String(length=200), server_default='', nullable=False),
    sa.Column('summary_en', sa.String(length=500), server_default='', nullable=False),
    sa.Column('body_en', sa.Text(), server_default='', nullable=False),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('source', sa.String(length=16), server_default='staff', nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.Column('published_at', app.core.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_content_revision_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['page_id'], ['content_page.id'], name=op.f('fk_content_revision_page_id_content_page'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_revision')),
    sa.UniqueConstraint('page_id', 'number', name='uq_content_revision_page_id_number')
    )
    with op.batch_alter_table('content_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_revision_page_id'), ['page_id'], unique=False)

    # Full-text search index (see app/guide/search.py).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE TABLE content_search ("
            " page_id INTEGER NOT NULL REFERENCES content_page (id) ON DELETE CASCADE,"
            " lang VARCHAR(2) NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL, body TEXT NOT NULL,"
            " document TSVECTOR NOT NULL, PRIMARY KEY (page_id, lang))"
        )
        op.execute("CREATE INDEX content_search_document ON content_search USING GIN (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE content_search USING fts5("
            "page_id UNINDEXED, lang UNINDEXED, title, summary, body, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade():
    op.execute("DROP TABLE IF EXISTS content_search")
    with op.batch_alter_table('content_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_revision_page_id'))

    op.drop_table('content_revision')
    op.drop_table('content_page')
