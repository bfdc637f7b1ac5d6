"""The initial schema: teams, networks and versions, tournaments, entries, games, upload attempts, settings.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

# The partial unique index: at most one unfinished tournament.
RUNNING_ONLY = {"sqlite_where": sa.text("status = 'running'"), "postgresql_where": sa.text("status = 'running'")}

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('tournaments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_by', sa.String(length=16), nullable=False),
    sa.Column('seconds_per_move', sa.Float(), nullable=True),
    sa.Column('playouts', sa.Integer(), nullable=True),
    sa.Column('games_per_pair', sa.Integer(), nullable=False),
    sa.Column('komi', sa.Float(), nullable=False),
    sa.Column('max_moves', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tournaments', schema=None) as batch_op:
        batch_op.create_index('one_running_tournament', ['status'], unique=True, **RUNNING_ONLY)

    op.create_table('upload_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('upload_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_attempts_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_upload_attempts_at'), ['at'], unique=False)

    op.create_table('networks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('bundled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'name')
    )
    op.create_table('network_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('params', sa.Integer(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('check_seconds', sa.Float(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('network_id', 'number')
    )
    with op.batch_alter_table('network_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_versions_sha256'), ['sha256'], unique=False)

    op.create_table('entries',
    sa.Column('tournament_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tournament_id'], ['tournaments.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['network_versions.id'], ),
    sa.PrimaryKeyConstraint('tournament_id', 'version_id')
    )
    op.create_table('games',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tournament_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('black_id', sa.Integer(), nullable=False),
    sa.Column('white_id', sa.Integer(), nullable=False),
    sa.Column('opening', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('winner', sa.String(length=1), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('moves', sa.Integer(), nullable=False),
    sa.Column('black_seconds', sa.Float(), nullable=False),
    sa.Column('white_seconds', sa.Float(), nullable=False),
    sa.Column('sgf', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['black_id'], ['network_versions.id'], ),
    sa.ForeignKeyConstraint(['tournament_id'], ['tournaments.id'], ),
    sa.ForeignKeyConstraint(['white_id'], ['network_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tournament_id', 'number')
    )
    with op.batch_alter_table('games', schema=None) as batch_op:
        batch_op.create_index('games_to_play', ['tournament_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('games', schema=None) as batch_op:
        batch_op.drop_index('games_to_play')

    op.drop_table('games')
    op.drop_table('entries')
    with op.batch_alter_table('network_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_versions_sha256'))

    op.drop_table('network_versions')
    op.drop_table('networks')
    with op.batch_alter_table('upload_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_attempts_at'))
        batch_op.drop_index(batch_op.f('ix_upload_attempts_address'))

    op.drop_table('upload_attempts')
    with op.batch_alter_table('tournaments', schema=None) as batch_op:
        batch_op.drop_index('one_running_tournament', **RUNNING_ONLY)

    op.drop_table('tournaments')
    op.drop_table('teams')
    op.drop_table('settings')
