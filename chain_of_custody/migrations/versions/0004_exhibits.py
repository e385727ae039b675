"""exhibits and case details

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_details',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('section', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'ledger_seq')
    )
    op.create_table('exhibit',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('producer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'ref'),
    sa.UniqueConstraint('case_id', 'prefix', 'number')
    )
    op.create_table('exhibit_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_exhibit_part_ref', 'exhibit_part', ['case_id', 'ref'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_exhibit_part_ref', table_name='exhibit_part')
    op.drop_table('exhibit_part')
    op.drop_table('exhibit')
    op.drop_table('case_details')
