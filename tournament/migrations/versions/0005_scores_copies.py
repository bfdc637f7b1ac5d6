"""Held-out scores and fingerprints of versions, copies flagged for the admin, a notice for the uploader, each
entry's result kept once its tournament is finished.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('network_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weights_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('scores', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_network_versions_weights_sha256'), ['weights_sha256'], unique=False)
    with op.batch_alter_table('upload_checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))
    with op.batch_alter_table('entries', schema=None) as batch_op:
        for name in ('games', 'rank'):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        for name in ('points', 'rating', 'rating_low', 'rating_high'):
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.create_table('copy_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('original_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['original_id'], ['network_versions.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['network_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'original_id')
    )


def downgrade() -> None:
    op.drop_table('copy_flags')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        for name in ('games', 'rank', 'points', 'rating', 'rating_low', 'rating_high'):
            batch_op.drop_column(name)
    with op.batch_alter_table('upload_checks', schema=None) as batch_op:
        batch_op.drop_column('notice')
    with op.batch_alter_table('network_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_versions_weights_sha256'))
        batch_op.drop_column('refused_at')
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('scores')
        batch_op.drop_column('weights_sha256')
