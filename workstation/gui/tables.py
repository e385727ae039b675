"""Table models over the case database that stay fast with a million rows.

Rows are never all loaded. Rows are read a page at a time when the view asks for them, by
keyset on indexed columns (``key > last key``), with a small page cache; a jump far into
the table (the scroll bar dragged to the end) finds its page's first key from the nearer
end of the index, or, once learnt, seeks straight to it: after each count the first key of
every page is read in idle steps (a few kilobytes of keys per thousand rows). Reads go
through their own connection: SQLite in WAL mode lets them run beside the lane's writer.

A table may be made of *segments* shown one after the other, each with its own keys: the
messages table shows timed messages by ``(sent_at_sort, id)`` and then the untimed ones by
``id``, because NULL sorts first on SQLite and last on PostgreSQL.

Unfiltered, ``rowCount`` is ``COUNT(*)`` (an index-only count). Filtered, counting every
match of a substring would read every row before showing one, so the filter *scans*: the
rows are read in chunks of the index order, on the GUI thread's idle time, a few
milliseconds each; matches are appended as they are found and only each page's first key
is kept, so memory does not grow with the number of matches.
"""

from __future__ import annotations

import operator
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from sqlalchemy.engine import Connection, Engine

PAGE = 256
CACHED_PAGES = 64
SCAN_CHUNK = 4_000  # rows of the index order read per step of a filter's scan (a few ms)
INDEX_CHUNK = 2_048  # keys read per idle step while learning the page starts
FIRST_ANSWER_S = 0.05  # a new filter scans at most this long before the view repaints
FIRST_ANSWER_ROWS = 60  # … or until a screenful of matches is found

Index = QModelIndex | QPersistentModelIndex
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """One column: header, the SQL column it reads, and how to show the value."""

    header: str
    sql: sa.ColumnElement[Any]
    render: Callable[[Any], str] = str
    tooltip: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Segment:
    """Rows matching ``where``, in the order of ``keys`` (indexed, unique together)."""

    where: sa.ColumnElement[bool]
    keys: tuple[sa.ColumnElement[Any], ...]


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _after(keys: Sequence[sa.ColumnElement[Any]], value: Key, op: str) -> sa.ColumnElement[bool]:
    """``keys <op> value`` as a row-value comparison (SQLite and PostgreSQL use the index)."""
    left: Any = keys[0] if len(keys) == 1 else sa.tuple_(*keys)
    right: Any = value[0] if len(keys) == 1 else sa.tuple_(*(sa.literal(v) for v in value))
    return _COMPARE[op](left, right)  # type: ignore[no-any-return]


def contains(column: sa.ColumnElement[Any], text: str, dialect: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match; SQLite's LIKE already ignores ASCII case and is
    several times faster than ``lower(x) LIKE lower(y)``."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if dialect == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


class _SegmentState:
    """What is known of one segment: its row count and, when filtered, its page starts."""

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.count = 0
        self.starts: list[Key] = []  # first key of each page found so far
        self.last: Key | None = None  # last key found (filtered mode only)
        self.indexed = 0  # rows whose page starts are known (unfiltered mode)


class PagedTableModel(QAbstractTableModel):
    """A read-only table over ``select(columns).where(base, filter)`` in key order."""

    scan_progress = Signal(int)  # rows found (so far, while ``scanning``)

    def __init__(
        self,
        engine: Engine,
        columns: Sequence[Column],
        segments: Sequence[Segment],
        base_filter: sa.ColumnElement[bool],
    ) -> None:
        super().__init__()
        self._engine = engine
        self._columns = list(columns)
        self._base = base_filter
        self._filter: sa.ColumnElement[bool] | None = None
        self._segments = [_SegmentState(s) for s in segments]
        self._pages: OrderedDict[tuple[int, int], list[Any]] = OrderedDict()
        self._scan: tuple[int, Key | None] | None = None  # (segment, last key scanned)
        self._index: tuple[int, Key | None] | None = None  # the page starts' walk, likewise
        self._scan_generation = 0
        self._totals: list[int] | None = None
        self.refresh()

    # --- state -----------------------------------------------------------------------

    @property
    def scanning(self) -> bool:
        """True while a filter's scan has not reached the end of the table."""
        return self._scan is not None

    def set_filter(self, condition: sa.ColumnElement[bool] | None) -> None:
        """Show only rows matching the condition (None: all rows)."""
        self._filter = condition
        self._reset()

    def refresh(self) -> None:
        """Re-count (or re-scan) and drop cached pages (after an ingest …)."""
        self._totals = None
        self._reset()

    def _reset(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._scan_generation += 1
        for state in self._segments:
            state.count, state.starts, state.last, state.indexed = 0, [], None, 0
        self._index = None
        if self._filter is None:
            self._scan = None
            self._index = (0, None)
            if self._totals is None:  # counted once until refresh(): clearing a filter is free
                with self._engine.connect() as conn:
                    self._totals = [self._count(conn, s.segment) for s in self._segments]
            for state, total in zip(self._segments, self._totals, strict=True):
                state.count = total
        else:
            self._scan = (0, None)
        self.endResetModel()
        if self._scan is None:
            self.scan_progress.emit(self.rowCount())
            self._schedule_index()
            return
        deadline = time.perf_counter() + FIRST_ANSWER_S
        while (
            self._scan is not None
            and self.rowCount() < FIRST_ANSWER_ROWS
            and time.perf_counter() < deadline
        ):
            self._scan_step()
        self._schedule_scan()

    def _count(self, conn: Connection, segment: Segment) -> int:
        query = sa.select(sa.func.count()).select_from(segment.keys[0].table)
        return int(conn.execute(query.where(self._base, segment.where)).scalar() or 0)

    # --- the unfiltered table's page starts --------------------------------------------

    def _schedule_index(self) -> None:
        """Learn the first key of every page in idle steps, so that a jump far into the
        table (the scroll bar dragged) seeks by key instead of counting rows with OFFSET."""
        self._in_idle_steps(lambda: self._index is not None, self._index_step)

    def finish_index(self) -> None:
        """Learn every page start now (tests and benchmarks)."""
        while self._index is not None:
            self._index_step()

    def _index_step(self) -> None:
        assert self._index is not None
        number, cursor = self._index
        state, keys, where = self._from(number, cursor)
        with self._engine.connect() as conn:
            found = conn.execute(
                sa.select(*keys).where(*where).order_by(*keys).limit(INDEX_CHUNK)
            ).all()
        for i, key in enumerate(found, start=state.indexed):
            if i % PAGE == 0:
                state.starts.append(tuple(key))
        state.indexed += len(found)
        if len(found) == INDEX_CHUNK:
            self._index = (number, tuple(found[-1]))
        elif number + 1 < len(self._segments):
            self._index = (number + 1, None)
        else:
            self._index = None

    def _from(
        self, number: int, cursor: Key | None
    ) -> tuple[_SegmentState, Sequence[sa.ColumnElement[Any]], list[sa.ColumnElement[bool]]]:
        """A walk's next step: the segment, its keys, and its rows after ``cursor``."""
        state = self._segments[number]
        keys = state.segment.keys
        where = [self._base, state.segment.where]
        if cursor is not None:
            where.append(_after(keys, cursor, "gt"))
        return state, keys, where

    # --- the filter's scan -----------------------------------------------------------

    def _schedule_scan(self) -> None:
        self._in_idle_steps(lambda: self._scan is not None, self._scan_step)

    def _in_idle_steps(self, wanted: Callable[[], bool], one_step: Callable[[], None]) -> None:
        """Run ``one_step`` again and again while ``wanted()`` and no reset intervened: on
        a timer, not in a loop, so input and paint events are served between two steps."""
        if not wanted():
            return
        generation = self._scan_generation

        def step() -> None:
            if generation == self._scan_generation and wanted():
                one_step()
                self._in_idle_steps(wanted, one_step)

        QTimer.singleShot(1, step)

    def finish_scan(self) -> list[float]:
        """Scan to the end now (tests and benchmarks); the seconds each step took."""
        steps = []
        while self._scan is not None:
            started = time.perf_counter()
            self._scan_step()
            steps.append(time.perf_counter() - started)
        return steps

    def _scan_step(self) -> None:
        assert self._scan is not None and self._filter is not None
        number, cursor = self._scan
        state, keys, where = self._from(number, cursor)
        with self._engine.connect() as conn:
            end = conn.execute(
                sa.select(*keys).where(*where).order_by(*keys).offset(SCAN_CHUNK - 1).limit(1)
            ).first()
            bounded = where if end is None else [*where, _after(keys, tuple(end), "le")]
            found = conn.execute(
                sa.select(*keys).where(*bounded, self._filter).order_by(*keys)
            ).all()
        if found:
            first = self.rowCount()
            self.beginInsertRows(QModelIndex(), first, first + len(found) - 1)
            for i, key in enumerate(found, start=state.count):
                if i % PAGE == 0:
                    state.starts.append(tuple(key))
            state.count += len(found)
            state.last = tuple(found[-1])
            self.endInsertRows()
        if end is not None:
            self._scan = (number, tuple(end))
        elif number + 1 < len(self._segments):
            self._scan = (number + 1, None)
        else:
            self._scan = None
        self.scan_progress.emit(self.rowCount())

    # --- pages -----------------------------------------------------------------------

    def _where(self, state: _SegmentState) -> list[sa.ColumnElement[bool]]:
        where = [self._base, state.segment.where]
        if self._filter is None:
            return where
        # Bounded by the last match found, or a short last page would read on to the end.
        assert state.last is not None
        return [*where, self._filter, _after(state.segment.keys, state.last, "le")]

    def _page(self, number: int, page_no: int) -> list[Any]:
        cached = self._pages.get((number, page_no))
        if cached is not None:
            self._pages.move_to_end((number, page_no))
            return cached
        state = self._segments[number]
        keys = state.segment.keys
        select = sa.select(*(c.sql for c in self._columns), *keys).where(*self._where(state))
        width = len(keys)
        before, after = (
            self._pages.get((number, page_no - 1)),
            self._pages.get((number, page_no + 1)),
        )
        with self._engine.connect() as conn:
            if before:
                page = self._read(conn, select, keys, _after(keys, before[-1][-width:], "gt"))
            elif after:
                # Scrolling up: the rows just before the next page's first key.
                query = select.where(_after(keys, after[0][-width:], "lt"))
                desc = [k.desc() for k in keys]
                page = list(reversed(conn.execute(query.order_by(*desc).limit(PAGE)).all()))
            else:
                start = self._page_start(conn, number, page_no)
                page = (
                    []
                    if start is None
                    else self._read(conn, select, keys, _after(keys, start, "ge"))
                )
        self._pages[(number, page_no)] = page
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    @staticmethod
    def _read(
        conn: Connection,
        select: sa.Select[Any],
        keys: Sequence[sa.ColumnElement[Any]],
        where: sa.ColumnElement[bool],
    ) -> list[Any]:
        return list(conn.execute(select.where(where).order_by(*keys).limit(PAGE)).all())

    def _page_start(self, conn: Connection, number: int, page_no: int) -> Key | None:
        """The first key of a page not next to a cached one."""
        state = self._segments[number]
        if self._filter is not None:
            return state.starts[page_no] if page_no < len(state.starts) else None
        if page_no < len(state.starts):
            return state.starts[page_no]
        keys = state.segment.keys
        query = sa.select(*keys).where(*self._where(state)).limit(1)
        row = page_no * PAGE
        known = (len(state.starts) - 1) * PAGE  # the last page start learnt so far
        if state.starts and row - known < state.count - row:
            query = query.where(_after(keys, state.starts[-1], "ge"))
            query = query.order_by(*keys).offset(row - known)
        elif row < state.count - row:
            query = query.order_by(*keys).offset(row)
        else:  # nearer the end: count back from there
            query = query.order_by(*(k.desc() for k in keys)).offset(state.count - 1 - row)
        found = conn.execute(query).first()
        return None if found is None else tuple(found)

    def row(self, row: int) -> Any:
        """The database row behind a table row (its columns, then its keys)."""
        for number, state in enumerate(self._segments):
            if row < state.count:
                page = self._page(number, row // PAGE)
                offset = row % PAGE
                return page[offset] if offset < len(page) else None
            row -= state.count
        return None

    # --- Qt model --------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else sum(s.count for s in self._segments)

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
