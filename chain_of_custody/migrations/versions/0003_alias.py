"""alias decisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alias_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('account_a', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account_b', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signals', sa.Text(), nullable=False),
    sa.Column('examiner', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alias_decision', schema=None) as batch_op:
        batch_op.create_index(
            'ix_alias_decision_pair', ['case_id', 'account_a', 'account_b'], unique=False
        )

    op.create_table('alias_label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('group_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('examiner', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('labelled_at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alias_label', schema=None) as batch_op:
        batch_op.create_index('ix_alias_label_group', ['case_id', 'group_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alias_label', schema=None) as batch_op:
        batch_op.drop_index('ix_alias_label_group')
    op.drop_table('alias_label')
    with op.batch_alter_table('alias_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_alias_decision_pair')
    op.drop_table('alias_decision')
