"""Checks as queued jobs, canonical network files, atomic rate limits, e-mail per team, browser games by address.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('upload_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('team', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('key_hash', sa.String(length=64), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('upload_sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('params', sa.Integer(), nullable=True),
    sa.Column('check_seconds', sa.Float(), nullable=True),
    sa.Column('checks_version', sa.Integer(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('team_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['network_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('upload_checks', schema=None) as batch_op:
        batch_op.create_index('upload_checks_queue', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_upload_checks_upload_sha256'), ['upload_sha256'], unique=False)

    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('updated', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('mailings',
    sa.Column('tournament_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.ForeignKeyConstraint(['tournament_id'], ['tournaments.id'], ),
    sa.PrimaryKeyConstraint('tournament_id', 'team_id')
    )
    with op.batch_alter_table('network_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_sha256', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_network_versions_upload_sha256'), ['upload_sha256'], unique=False)
    # Versions stored before canonical files: the file stored is the upload itself.
    op.execute("UPDATE network_versions SET upload_sha256 = sha256")

    with op.batch_alter_table('play_games', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_play_games_address'), ['address'], unique=False)

    with op.batch_alter_table('upload_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_attempts_address')
        batch_op.drop_index('ix_upload_attempts_at')
    op.drop_table('upload_attempts')


def downgrade() -> None:
    op.create_table('upload_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('upload_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_upload_attempts_at', ['at'], unique=False)
        batch_op.create_index('ix_upload_attempts_address', ['address'], unique=False)

    with op.batch_alter_table('play_games', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_games_address'))
        batch_op.drop_column('address')

    with op.batch_alter_table('network_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_versions_upload_sha256'))
        batch_op.drop_column('upload_sha256')

    op.drop_table('mailings')
    op.drop_table('rate_limits')
    with op.batch_alter_table('upload_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_checks_upload_sha256'))
        batch_op.drop_index('upload_checks_queue')
    op.drop_table('upload_checks')
