"""The neutral judge of tournament games (adjudication, dead stones) and what a game shows while it is played:
each engine's and the judge's win rates, the dead stones, the moves so far.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tournaments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judge', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.execute(sa.text("UPDATE tournaments SET judge = false"))  # those played before the judge were not judged
    with op.batch_alter_table('games', schema=None) as batch_op:
        for name in ('winrates', 'dead', 'live'):
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('games', schema=None) as batch_op:
        for name in ('live', 'dead', 'winrates'):
            batch_op.drop_column(name)
    with op.batch_alter_table('tournaments', schema=None) as batch_op:
        batch_op.drop_column('judge')
