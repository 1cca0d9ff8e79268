"""accounts: session tokens (sessions end on password change etc.), user ids never reused

Revision ID: 0810
Revises: 0700
Create Date: 2027-01-12 10:00:00

- ``user.session_token``: a random value per account that the session and the remember-me
  cookie hold instead of the id. Existing accounts get a fresh token each, so sessions made
  before this migration end once (people log in again).
- SQLite: the user table is rebuilt with AUTOINCREMENT, so the id of a deleted account is never
  given to a new one (PostgreSQL sequences never hand out an id twice anyway).
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0810'
down_revision = '0800'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    op.add_column('user', sa.Column('session_token', sa.String(length=64), nullable=True))

    user = sa.table('user', sa.column('id', sa.Integer()), sa.column('session_token', sa.String(64)))
    for (user_id,) in bind.execute(sa.select(user.c.id)).all():
        bind.execute(sa.update(user).where(user.c.id == user_id).values(session_token=secrets.token_urlsafe(32)))

    sqlite = bind.dialect.name == 'sqlite'
    # On SQLite the table is copied into a new one created with AUTOINCREMENT; the sequence starts
    # above the highest id in use. Elsewhere these are plain ALTER statements.
    with op.batch_alter_table('user', schema=None, recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_autoincrement': True} if sqlite else {}) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_user_session_token'), ['session_token'])


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_session_token'), type_='unique')
        batch_op.drop_column('session_token')
