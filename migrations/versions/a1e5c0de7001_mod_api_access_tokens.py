"""mod_api: the API's own table of issued bearer tokens.

In this repository it has no parent. ``install_into_platform.py`` copies it
into the platform with ``down_revision`` set to the platform's head at that
time, so that the platform keeps exactly one head and its plain
``flask db upgrade`` (deploy.sh) applies it; downgrading to that parent
removes the table. The label ``mod_api`` names this revision in both homes.

The platform creates every table of its models on each request
(``create_all``), so the table may exist before this revision runs: then it
is left as it is.

Revision ID: a1e5c0de7001
Revises:
Create Date: 2026-11-22 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'a1e5c0de7001'
down_revision = None
branch_labels = ('mod_api',)
depends_on = None


TABLE = 'api_access_token'


def upgrade():
    """Create ``api_access_token`` (not ``api_token``: platform builds from mid-2026 have that one)."""
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        'api_access_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jti', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('scopes', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('jti'),
        mysql_engine='InnoDB',
    )
    op.create_index('ix_api_access_token_user_id', 'api_access_token', ['user_id'])


def downgrade():
    """Drop ``api_access_token``."""
    if not sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.drop_index('ix_api_access_token_user_id', table_name='api_access_token')
    op.drop_table('api_access_token')
