"""Alembic environment: always given a live connection by chain_of_custody.db."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import chain_of_custody.models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
