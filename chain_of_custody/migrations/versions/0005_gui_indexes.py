"""indexes for the workstation's tables at a million rows

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index('ix_item_case_seq', ['case_id', 'ledger_seq'], unique=False)
    with op.batch_alter_table('message_record', schema=None) as batch_op:
        batch_op.create_index('ix_message_record_item', ['item_id', 'ordinal'], unique=False)
    with op.batch_alter_table('image_meta_record', schema=None) as batch_op:
        batch_op.create_index('ix_image_meta_item', ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('image_meta_record', schema=None) as batch_op:
        batch_op.drop_index('ix_image_meta_item')
    with op.batch_alter_table('message_record', schema=None) as batch_op:
        batch_op.drop_index('ix_message_record_item')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_case_seq')
