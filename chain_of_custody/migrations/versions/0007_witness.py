"""witness: checkpoints witnessed outside the case; on PostgreSQL insert-only (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_REFUSE = """
CREATE OR REPLACE FUNCTION ews_witness_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the witness table is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table('witness',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('head_size', sa.BigInteger(), nullable=False),
    sa.Column('head_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entry_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entry_signature', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('witnessed_at', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('examiner_key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('examiner_initials', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('examiner_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('case_folder', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('database', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('witness', schema=None) as batch_op:
        batch_op.create_index('ix_witness_case', ['case_id', 'size'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # Examiners cannot rewrite what was witnessed through the workstation; a unit also
        # gives the table to another role and grants examiners only SELECT and INSERT.
        op.execute(_REFUSE)
        op.execute(
            'CREATE TRIGGER witness_no_rewrite BEFORE UPDATE OR DELETE ON witness '
            'FOR EACH ROW EXECUTE FUNCTION ews_witness_refuse()'
        )
        op.execute(
            'CREATE TRIGGER witness_no_truncate BEFORE TRUNCATE ON witness '
            'FOR EACH STATEMENT EXECUTE FUNCTION ews_witness_refuse()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS witness_no_truncate ON witness')
        op.execute('DROP TRIGGER IF EXISTS witness_no_rewrite ON witness')
        op.execute('DROP FUNCTION IF EXISTS ews_witness_refuse()')
    with op.batch_alter_table('witness', schema=None) as batch_op:
        batch_op.drop_index('ix_witness_case')
    op.drop_table('witness')
