"""integrity: what verification needs to recompute record roots (issue 12)

Every leaf of an ``item.extracted`` Merkle root must be rebuildable from what the database
holds now. Three things were not: ``Account.key_scope`` (no column), the warnings and
embedded files an extractor yields (leaves, but stored only as warning text and child
items), and on PostgreSQL a record whose text held NUL (stored with U+2400). The column
and the ``record_leaf`` table hold them; the indexes let ``ews verify`` read one
extraction's rows in ordinal order (message rows use ``ix_message_record_item``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_leaf',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('extraction_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['extraction_id'], ['extraction.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_leaf', schema=None) as batch_op:
        batch_op.create_index(
            'ix_record_leaf_extraction', ['extraction_id', 'ordinal'], unique=False
        )
    with op.batch_alter_table('account_record', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('key_scope', sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.create_index(
            'ix_account_record_extraction', ['extraction_id', 'ordinal'], unique=False
        )
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.create_index(
            'ix_call_record_extraction', ['extraction_id', 'ordinal'], unique=False
        )
    with op.batch_alter_table('image_meta_record', schema=None) as batch_op:
        batch_op.create_index(
            'ix_image_meta_extraction', ['extraction_id', 'ordinal'], unique=False
        )
    _backfill_key_scope()


def _backfill_key_scope() -> None:
    """Cases made before: the scope is the suffix ``" (scope)"`` that ``Account.key`` added
    to the stored ``account_key``; only where the rest of the key is what the fields give."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, account_key, platform, platform_id, phone_e164, email, handle, "
        "phone_raw, display_name FROM account_record WHERE account_key LIKE '%)'"
    )).all()
    for row in rows:
        ident = next((v for v in row[3:] if v), "")
        plain = f"{row.platform}:{ident}"
        key = row.account_key
        if key.startswith(plain + " (") and key.endswith(")"):
            conn.execute(
                sa.text("UPDATE account_record SET key_scope = :scope WHERE id = :id"),
                {"scope": key[len(plain) + 2 : -1], "id": row.id},
            )


def downgrade() -> None:
    with op.batch_alter_table('image_meta_record', schema=None) as batch_op:
        batch_op.drop_index('ix_image_meta_extraction')
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.drop_index('ix_call_record_extraction')
    with op.batch_alter_table('account_record', schema=None) as batch_op:
        batch_op.drop_index('ix_account_record_extraction')
        batch_op.drop_column('key_scope')
    with op.batch_alter_table('record_leaf', schema=None) as batch_op:
        batch_op.drop_index('ix_record_leaf_extraction')
    op.drop_table('record_leaf')
