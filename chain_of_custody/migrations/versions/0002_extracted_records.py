"""extracted records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_avatar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('account_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_avatar', schema=None) as batch_op:
        batch_op.create_index('ix_account_avatar_key', ['case_id', 'account_key'], unique=False)

    op.create_table('extraction',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('extractor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('warning_count', sa.Integer(), nullable=False),
    sa.Column('merkle_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('extraction', schema=None) as batch_op:
        batch_op.create_index('ix_extraction_item', ['item_id', 'extractor'], unique=False)

    op.create_table('account_record',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('extraction_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('loc_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loc_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('loc_line', sa.Integer(), nullable=True),
    sa.Column('loc_offset', sa.BigInteger(), nullable=True),
    sa.Column('loc_pointer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('platform_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone_raw', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone_e164', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('avatar_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('profile_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('is_owner', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['extraction_id'], ['extraction.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_record', schema=None) as batch_op:
        batch_op.create_index('ix_account_record_key', ['case_id', 'account_key'], unique=False)

    op.create_table('call_record',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('extraction_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('loc_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loc_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('loc_line', sa.Integer(), nullable=True),
    sa.Column('loc_offset', sa.BigInteger(), nullable=True),
    sa.Column('loc_pointer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('thread_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('number_raw', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('number_e164', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('party_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('started_at_utc', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('started_at_raw', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('tz_assumed', sa.Boolean(), nullable=False),
    sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['extraction_id'], ['extraction.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('image_meta_record',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('extraction_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('loc_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loc_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('loc_line', sa.Integer(), nullable=True),
    sa.Column('loc_offset', sa.BigInteger(), nullable=True),
    sa.Column('loc_pointer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('captured_at_raw', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('captured_at_utc', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('captured_offset', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('tz_assumed', sa.Boolean(), nullable=False),
    sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('make', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('software', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('gps_lat', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('gps_lon', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('screenshot', sa.Boolean(), nullable=False),
    sa.Column('screenshot_evidence', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('app_guess', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phash', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('user_comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['extraction_id'], ['extraction.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('image_meta_record', schema=None) as batch_op:
        batch_op.create_index('ix_image_meta_phash', ['case_id', 'phash'], unique=False)

    op.create_table('message_record',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('extraction_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('loc_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loc_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('loc_line', sa.Integer(), nullable=True),
    sa.Column('loc_offset', sa.BigInteger(), nullable=True),
    sa.Column('loc_pointer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('thread_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('thread_title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sender_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sender_identifier', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('recipients', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sent_at_utc', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('sent_at_raw', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('tz_assumed', sa.Boolean(), nullable=False),
    sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raw_text', sa.Text(), nullable=True),
    sa.Column('attachments', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('received_chain', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reactions', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('shares', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('forwarded_from', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sent_at_sort', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.ForeignKeyConstraint(['extraction_id'], ['extraction.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('message_record', schema=None) as batch_op:
        batch_op.create_index('ix_message_record_sender', ['case_id', 'sender_key'], unique=False)
        batch_op.create_index('ix_message_record_thread', ['case_id', 'thread_id'], unique=False)
        batch_op.create_index('ix_message_record_time', ['case_id', 'sent_at_sort'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message_record', schema=None) as batch_op:
        batch_op.drop_index('ix_message_record_time')
        batch_op.drop_index('ix_message_record_thread')
        batch_op.drop_index('ix_message_record_sender')

    op.drop_table('message_record')
    with op.batch_alter_table('image_meta_record', schema=None) as batch_op:
        batch_op.drop_index('ix_image_meta_phash')

    op.drop_table('image_meta_record')
    op.drop_table('call_record')
    with op.batch_alter_table('account_record', schema=None) as batch_op:
        batch_op.drop_index('ix_account_record_key')

    op.drop_table('account_record')
    with op.batch_alter_table('extraction', schema=None) as batch_op:
        batch_op.drop_index('ix_extraction_item')

    op.drop_table('extraction')
    with op.batch_alter_table('account_avatar', schema=None) as batch_op:
        batch_op.drop_index('ix_account_avatar_key')

    op.drop_table('account_avatar')
