"""chat trust: a Mattermost channel and a webhook belong to at most one club

Revision ID: 0800
Revises: 0700
Create Date: 2026-12-03 10:00:00

Existing data: where several clubs share a channel id, the club whose channel the
platform provisioned keeps it (else the oldest link); the others lose the channel
id and the bot's access (the panel shows nothing, no notice is posted) until their
board links a channel of their own. Shared webhooks are handled the same way: the
oldest link keeps the webhook, the others lose it.
"""
import hashlib
from urllib.parse import urlsplit

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0800'
down_revision = '0700'
branch_labels = None
depends_on = None


chat_link = sa.table(
    "chat_link",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("channel_id", sa.String),
    sa.column("bot_can_read", sa.Boolean),
    sa.column("webhook_url", sa.String),
    sa.column("webhook_key", sa.String),
)


def webhook_key(url):
    """Same as app.chat.services.webhook_key: sha256 of the hook id (last path segment)."""
    hook_id = urlsplit(url.strip()).path.rstrip("/").rsplit("/", 1)[-1]
    return hashlib.sha256(hook_id.encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('chat_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_key', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.select(chat_link.c.id, chat_link.c.kind, chat_link.c.channel_id,
                                  chat_link.c.webhook_url).order_by(chat_link.c.id)).all()

    by_channel = {}
    for row in rows:
        if row.channel_id:
            by_channel.setdefault(row.channel_id, []).append(row)
    for links in by_channel.values():
        if len(links) < 2:
            continue
        keeper = min(links, key=lambda r: (r.kind != "provisioned", r.id))
        for row in links:
            if row.id != keeper.id:
                conn.execute(sa.update(chat_link).where(chat_link.c.id == row.id)
                             .values(channel_id=None, bot_can_read=False))

    seen = set()
    for row in rows:
        if not row.webhook_url:
            continue
        key = webhook_key(row.webhook_url)
        if key in seen:
            conn.execute(sa.update(chat_link).where(chat_link.c.id == row.id)
                         .values(webhook_url=None, webhook_key=None))
        else:
            seen.add(key)
            conn.execute(sa.update(chat_link).where(chat_link.c.id == row.id).values(webhook_key=key))

    with op.batch_alter_table('chat_link', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_chat_link_channel_id'), ['channel_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_chat_link_webhook_key'), ['webhook_key'])


def downgrade():
    with op.batch_alter_table('chat_link', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_chat_link_webhook_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_chat_link_channel_id'), type_='unique')
        batch_op.drop_column('webhook_key')
