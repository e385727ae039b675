"""search index: folded fields of messages, items and accounts (issue 15 §1)

``search_doc`` holds one row per searchable field, its text folded (NFKD without
combining marks, casefolded); ``search_state`` how far the index has read each kind of
record, by ledger sequence. Both are derived from the records and rebuilt from them. No b-tree
index on ``search_doc``: a search reads it through the text index or in id order, and a
``case_id`` index would make SQLite sort every match before a LIMIT.
The database's own index over ``folded`` (SQLite FTS5 with the trigram tokenizer, or
PostgreSQL pg_trgm GIN) is created by workstation/search.py on first use: Alembic's model
comparison cannot describe a virtual table or an operator-class index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_doc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('row_id', sa.BigInteger(), nullable=True),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('search_state',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_info.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'kind')
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TABLE IF EXISTS search_fts')
    op.drop_table('search_state')
    op.drop_table('search_doc')
