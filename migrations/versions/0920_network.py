"""networking across clubs: the opt-in club directory (listings, topics, contact messages in transit);
the staff-managed services catalogue (offer); categories and related links of knowledge articles; English versions of the public pages

Revision ID: 0920
Revises: 0880
Create Date: 2026-12-02 23:40:00

Issue 20. New tables only; existing clubs get no listing row (the directory is off by default).
The shipped topics are loaded by ``flask content-sync`` (app/directory/services.py), not here.
"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0920'
down_revision = '0880'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('body_en', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('content_page', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('related', sa.JSON(), nullable=True))
    op.create_table('offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('name_de', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('purpose_de', sa.Text(), nullable=False),
    sa.Column('purpose_en', sa.Text(), nullable=False),
    sa.Column('audience_de', sa.Text(), nullable=False),
    sa.Column('audience_en', sa.Text(), nullable=False),
    sa.Column('access_de', sa.Text(), nullable=False),
    sa.Column('access_en', sa.Text(), nullable=False),
    sa.Column('guide_url', sa.String(length=500), nullable=True),
    sa.Column('status_kind', sa.String(length=16), nullable=False),
    sa.Column('status_url', sa.String(length=500), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer')),
    sa.UniqueConstraint('slug', name=op.f('uq_offer_slug'))
    )
    op.create_table('directory_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name_de', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_topic')),
    sa.UniqueConstraint('slug', name=op.f('uq_directory_topic_slug'))
    )
    op.create_table('directory_listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('listed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('show_website', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('listed_at', app.core.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_directory_listing_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_listing')),
    sa.UniqueConstraint('club_id', name=op.f('uq_directory_listing_club_id'))
    )
    with op.batch_alter_table('directory_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_listing_listed'), ['listed'], unique=False)

    op.create_table('directory_listing_topic',
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_directory_listing_topic_club_id_club'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['directory_topic.id'], name=op.f('fk_directory_listing_topic_topic_id_directory_topic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('club_id', 'topic_id', name=op.f('pk_directory_listing_topic'))
    )
    with op.batch_alter_table('directory_listing_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_listing_topic_topic_id'), ['topic_id'], unique=False)

    op.create_table('directory_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('sender_name', sa.String(length=120), nullable=False),
    sa.Column('sender_email', sa.String(length=254), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_directory_contact_club_id_club'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_contact'))
    )
    with op.batch_alter_table('directory_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_contact_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_contact_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('directory_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_contact_created_at'))
        batch_op.drop_index(batch_op.f('ix_directory_contact_club_id'))
    op.drop_table('directory_contact')
    with op.batch_alter_table('directory_listing_topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_listing_topic_topic_id'))
    op.drop_table('directory_listing_topic')
    with op.batch_alter_table('directory_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_listing_listed'))
    op.drop_table('directory_listing')
    op.drop_table('directory_topic')
    op.drop_table('offer')
    with op.batch_alter_table('content_page', schema=None) as batch_op:
        batch_op.drop_column('related')
        batch_op.drop_column('category')
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_column('body_en')
        batch_op.drop_column('title_en')
