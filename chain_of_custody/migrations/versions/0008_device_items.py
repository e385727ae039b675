"""device items: where the phone keeps a file, and items derived from other items (issue 13)

``item.device_path`` is the domain and relative path a device backup's manifest gives a
file (``HomeDomain/Library/SMS/sms.db``), indexed so a message's attachment path finds its
item. ``item.derived_from`` and ``item.derived_method`` link a derived item (a decrypted
copy of an encrypted backup file) to the item it was made from, as its ``item.derived``
ledger entry states. Columns are only added (no foreign key), so SQLite alters the
table in place instead of rebuilding it under the rows that reference items.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('device_path', sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column('derived_from', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.add_column(
            sa.Column('derived_method', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index('ix_item_device_path', ['case_id', 'device_path'], unique=False)


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL): a batch rebuild of the item table
    # would DROP it under the rows that reference it, which SQLite's foreign keys refuse.
    op.drop_index('ix_item_device_path', table_name='item')
    for column in ('derived_method', 'derived_from', 'device_path'):
        op.execute(f'ALTER TABLE item DROP COLUMN {column}')
