"""Table models over the case database that stay fast with a million rows.

Rows are never all loaded: ``rowCount`` comes from ``COUNT(*)`` and rows are read a page at
a time when the view asks for them (keyset on an indexed column), with a small page cache.
Reads go through their own connection: SQLite in WAL mode lets them run beside a writer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from sqlalchemy.engine import Engine

PAGE = 256
CACHED_PAGES = 64

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One column: header, the SQL column it reads, and how to show the value."""

    header: str
    sql: sa.ColumnElement[Any]
    render: Callable[[Any], str] = str
    tooltip: Callable[[Any], str] | None = None


class PagedTableModel(QAbstractTableModel):
    """A read-only table over ``select(columns).where(filters).order_by(key)``."""

    def __init__(
        self,
        engine: Engine,
        columns: Sequence[Column],
        key: sa.ColumnElement[Any],
        base_filter: sa.ColumnElement[bool],
    ) -> None:
        super().__init__()
        self._engine = engine
        self._columns = list(columns)
        self._key = key
        self._base = base_filter
        self._filter: sa.ColumnElement[bool] | None = None
        self._count = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self.refresh()

    # --- querying --------------------------------------------------------------------

    def _where(self) -> sa.ColumnElement[bool]:
        return self._base if self._filter is None else sa.and_(self._base, self._filter)

    def set_filter(self, condition: sa.ColumnElement[bool] | None) -> None:
        """Show only rows matching the condition (None: all rows)."""
        self._filter = condition
        self.refresh()

    def refresh(self) -> None:
        """Re-count and drop cached pages (after an ingest, a filter change …)."""
        self.beginResetModel()
        with self._engine.connect() as conn:
            table = self._key.table
            self._count = int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(table).where(self._where())
                ).scalar()
                or 0
            )
        self._pages.clear()
        self.endResetModel()

    def _page(self, number: int) -> list[Any]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        with self._engine.connect() as conn:
            start_key = None
            previous = self._pages.get(number - 1)
            if previous:
                start_key = previous[-1][-1]
            query = sa.select(*(c.sql for c in self._columns), self._key).where(self._where())
            if start_key is not None:
                query = query.where(self._key > start_key).order_by(self._key).limit(PAGE)
            else:
                # Jumping (e.g. to the end): find the page's first key with an index-only scan.
                first = conn.execute(
                    sa.select(self._key)
                    .where(self._where())
                    .order_by(self._key)
                    .offset(number * PAGE)
                    .limit(1)
                ).scalar()
                query = query.where(self._key >= first).order_by(self._key).limit(PAGE)
            page = list(conn.execute(query).all())
        self._pages[number] = page
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def row(self, row: int) -> Any:
        """The database row behind a table row."""
        page = self._page(row // PAGE)
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    # --- Qt model --------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].header
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self._columns[index.column()]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        record = self.row(index.row())
        if record is None:
            return None
        value = record[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(value) if column.tooltip else None
        return "" if value is None else column.render(value)
