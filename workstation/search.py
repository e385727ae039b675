"""Search over a case (issue 15 §1): messages, file names and accounts, by the database's index.

A query matches where its text appears: a substring, case-insensitive and accent-insensitive
(both sides folded by :func:`fold`: NFKD, combining marks dropped, casefolded), no stemming,
phrases and prefixes included; or a regular expression on request. The index is
``search_doc`` (one row per field, its text folded) with the database's own index over it:
SQLite FTS5 with the ``trigram`` tokenizer (an external-content table, ``search_fts``), or a
PostgreSQL ``pg_trgm`` GIN index. It is derived from the records, never evidence: built on
the first search and brought up to date at the start of every search from the extractions
and items recorded since (their ledger sequence), so ingest pays nothing for it.

A query shorter than three characters has no trigram to look up: it is a ``LIKE`` over the
folded column (a scan, on both databases). A regular expression is also a scan: SQLite calls
Python's ``re`` for each row, PostgreSQL uses its own ``~*`` (its own syntax).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.models import SearchDoc, SearchState
from workstation.queries import T_ACCOUNT, T_EXTRACTION, T_MESSAGE

T_DOC = SearchDoc.__table__  # type: ignore[attr-defined]
T_STATE = SearchState.__table__  # type: ignore[attr-defined]

KINDS = ("message", "item", "account")
SCOPES = ("messages", "items", "accounts", "all")
#: Account fields searched, in the order hits are given.
ACCOUNT_FIELDS = ("display_name", "handle", "phone_e164", "phone_raw", "email", "platform_id")
SNIPPET_CONTEXT = 40
_BATCH = 5000


class SearchError(EvidenceError):
    """A query that cannot run (an empty query, a regular expression that does not compile)."""


@dataclass(frozen=True)
class Hit:
    kind: str  # message | item | account
    id: Any  # the message id (int), the item id or the account id
    field: str
    snippet: str
    locator: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "field": self.field,
            "snippet": self.snippet,
            "locator": self.locator,
        }


_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


def fold(text: str) -> str:
    """Text as the index holds it: NFKD, combining marks removed, casefolded."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    # Only the runs of non-ASCII characters are looked at one by one (casefold has no
    # context, so folding run by run is folding the whole).
    return "".join(
        run.lower()
        if run.isascii()
        else "".join(c for c in run if not unicodedata.combining(c)).casefold()
        for run in _RUNS.findall(decomposed)
    )


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _original_span(text: str, at: int, length: int) -> tuple[int, int]:
    """Where in ``text`` the characters ``at`` to ``at + length`` of ``fold(text)`` come from.

    Folding is character by character (NFKD and casefold have no context; the combining
    marks dropped are characters of their own), so runs of ASCII are stepped over whole and
    only the other characters one by one, and the walk stops at the match's end.
    """
    if text.isascii():
        return at, at + length
    last = at + length - 1
    start: int | None = None
    done = 0  # folded characters before the current run or character
    for m in _RUNS.finditer(text):
        run, origin = m.group(), m.start()
        if run.isascii():
            if start is None and at < done + len(run):
                start = origin + at - done
            if last < done + len(run):
                return start if start is not None else origin, origin + last - done + 1
            done += len(run)
            continue
        for j, c in enumerate(run):
            n = len(fold(c))
            if start is None and at < done + n:
                start = origin + j
            if last < done + n:
                return start if start is not None else origin + j, origin + j + 1
            done += n
    return (start if start is not None else 0), len(text)


# --- keeping the index in step ------------------------------------------------------------


def _dialect(conn: sa.Connection) -> str:
    return conn.dialect.name


def _ensure_structures(conn: sa.Connection) -> None:
    if _dialect(conn) == "sqlite":
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "folded, content='search_doc', content_rowid='id', tokenize='trigram')"
        )
    else:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_search_doc_trgm ON search_doc "
            "USING gin (folded gin_trgm_ops)"
        )


def _state(conn: sa.Connection, case_id: str) -> dict[str, int]:
    return {
        r.kind: int(r.last_seq)
        for r in conn.execute(
            sa.select(T_STATE.c.kind, T_STATE.c.last_seq).where(T_STATE.c.case_id == case_id)
        )
    }


def _message_docs(r: Any) -> Iterator[tuple[str, int, str, str]]:
    if r.text:
        yield str(r.id), int(r.id), "text", fold(r.text)
    if r.platform == "email" and r.thread_title:
        yield str(r.id), int(r.id), "subject", fold(r.thread_title)


def _account_docs(r: Any) -> Iterator[tuple[str, int, str, str]]:
    for name in ACCOUNT_FIELDS:
        value = getattr(r, name)
        if value:
            yield r.account_key, int(r.id), name, fold(value)


def _insert(
    conn: sa.Connection, case_id: str, kind: str, docs: Iterable[tuple[str, int | None, str, str]]
) -> int:
    # Plain tuples through the driver's executemany: SQLAlchemy's per-row parameter
    # processing was a fifth of the index's catch-up.
    rows = [(case_id, kind, ref, row_id, f, t) for ref, row_id, f, t in docs]
    if rows:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(
            "INSERT INTO search_doc (case_id, kind, ref, row_id, field, folded) "
            f"VALUES ({', '.join([mark] * 6)})",
            rows,
        )
    return len(rows)


def _has_structures(conn: sa.Connection) -> bool:
    if _dialect(conn) == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE name = 'search_fts'"
    else:
        sql = "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_search_doc_trgm'"
    return conn.exec_driver_sql(sql).first() is not None


def _tops(conn: sa.Connection, case_id: str) -> dict[str, int | None]:
    """The last ledger sequence of an item and of an extraction in the case."""
    top_item = conn.execute(
        sa.select(sa.func.max(T_ITEM.c.ledger_seq)).where(T_ITEM.c.case_id == case_id)
    ).scalar()
    top_x = conn.execute(
        sa.select(sa.func.max(T_EXTRACTION.c.ledger_seq)).where(T_EXTRACTION.c.case_id == case_id)
    ).scalar()
    return {"item": top_item, "message": top_x, "account": top_x}


def _behind(conn: sa.Connection, case_id: str, state: dict[str, int]) -> bool:
    tops = _tops(conn, case_id)
    return any(top is not None and int(top) > state.get(kind, -1) for kind, top in tops.items())


def update_index(case: Case) -> int:
    """Bring the index up to date with the records; returns how many fields were added.

    Runs in one write transaction: the index and its state move together or not at all.
    Extractions and items are committed in ledger order (the case's append lock), so every
    one recorded after ``last_seq`` is read exactly once.
    """
    with db.read_connection(case.engine) as conn:
        # Most searches find the index in step: say so without taking the write lock (an
        # ingest holding it would make the search wait for its batch).
        if _has_structures(conn) and not _behind(conn, case.case_id, _state(conn, case.case_id)):
            return 0
    added = 0
    with db.write_transaction(case.engine, case.case_id) as conn:
        _ensure_structures(conn)
        state = _state(conn, case.case_id)
        tops = _tops(conn, case.case_id)
        first_id = conn.execute(sa.select(sa.func.max(T_DOC.c.id))).scalar() or 0
        for kind in KINDS:
            top = tops[kind]
            last = state.get(kind, -1)
            if top is None or int(top) <= last:
                continue
            added += _index_kind(conn, case.case_id, kind, last, int(top))
            values = {"case_id": case.case_id, "kind": kind, "last_seq": int(top)}
            if kind in state:
                conn.execute(
                    sa.update(T_STATE)
                    .where(T_STATE.c.case_id == case.case_id, T_STATE.c.kind == kind)
                    .values(last_seq=int(top))
                )
            else:
                conn.execute(sa.insert(T_STATE), values)
        if added and _dialect(conn) == "sqlite":
            conn.exec_driver_sql(
                "INSERT INTO search_fts(rowid, folded) SELECT id, folded FROM search_doc "
                "WHERE id > ?",
                (int(first_id),),
            )
    return added


def rebuild_index(case: Case) -> int:
    """Throw the index away and build it again from the records; returns the fields added.

    For an index suspected of being damaged or edited: it is derived data, so nothing of the
    case is lost, and the next search finds the records as they are.
    """
    with db.write_transaction(case.engine, case.case_id) as conn:
        if _dialect(conn) == "sqlite":
            conn.exec_driver_sql("DROP TABLE IF EXISTS search_fts")
        conn.execute(sa.delete(T_STATE).where(T_STATE.c.case_id == case.case_id))
        conn.execute(sa.delete(T_DOC).where(T_DOC.c.case_id == case.case_id))
    return update_index(case)


def _index_kind(conn: sa.Connection, case_id: str, kind: str, last: int, top: int) -> int:
    added = 0
    if kind == "item":
        rows = conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.name).where(
                T_ITEM.c.case_id == case_id,
                T_ITEM.c.ledger_seq > last,
                T_ITEM.c.ledger_seq <= top,
            )
        ).all()
        return _insert(conn, case_id, "item", ((r.id, None, "name", fold(r.name)) for r in rows))
    table = T_MESSAGE if kind == "message" else T_ACCOUNT
    columns = (
        [T_MESSAGE.c.id, T_MESSAGE.c.text, T_MESSAGE.c.thread_title, T_MESSAGE.c.platform]
        if kind == "message"
        else [T_ACCOUNT.c.id, T_ACCOUNT.c.account_key, *(T_ACCOUNT.c[f] for f in ACCOUNT_FIELDS)]
    )
    extractions = [
        r.id
        for r in conn.execute(
            sa.select(T_EXTRACTION.c.id)
            .where(
                T_EXTRACTION.c.case_id == case_id,
                T_EXTRACTION.c.ledger_seq > last,
                T_EXTRACTION.c.ledger_seq <= top,
            )
            .order_by(T_EXTRACTION.c.ledger_seq)
        )
    ]
    docs = _message_docs if kind == "message" else _account_docs
    for start in range(0, len(extractions), 500):
        chunk = extractions[start : start + 500]
        after = -1
        while True:
            rows = conn.execute(
                sa.select(*columns)
                .where(table.c.extraction_id.in_(chunk), table.c.id > after)
                .order_by(table.c.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                break
            added += _insert(conn, case_id, kind, (d for r in rows for d in docs(r)))
            after = int(rows[-1].id)
    return added


# --- searching ----------------------------------------------------------------------------


def _kinds(scope: str) -> tuple[str, ...]:
    if scope not in SCOPES:
        raise SearchError(f"search: --in must be one of {', '.join(SCOPES)}, not {scope!r}")
    return KINDS if scope == "all" else (scope[:-1],)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching_ids(
    conn: sa.Connection,
    case_id: str,
    query: str,
    kinds: Sequence[str],
    regex: bool,
    limit: int | None = None,
) -> list[tuple[int, str, str, int | None, str]]:
    """(doc id, kind, ref, row_id, field) of the index rows that match, in index order."""
    cols = "d.id, d.kind, d.ref, d.row_id, d.field"
    kind_list = ", ".join(f"'{k}'" for k in kinds)  # fixed names from KINDS
    where = f"d.case_id = :case AND d.kind IN ({kind_list})"
    params: dict[str, Any] = {"case": case_id}
    sqlite = _dialect(conn) == "sqlite"
    if regex:
        pattern = _strip_marks(query)
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise SearchError(f"search: the regular expression does not compile: {exc}") from exc
        params["p"] = pattern
        if sqlite:
            raw = conn.connection.driver_connection
            raw.create_function(  # type: ignore[union-attr]
                "ews_regexp",
                2,
                lambda p, t: compiled.search(t) is not None if t is not None else False,
                deterministic=True,
            )
            sql = f"SELECT {cols} FROM search_doc d WHERE {where} AND ews_regexp(:p, d.folded)"
        else:
            sql = f"SELECT {cols} FROM search_doc d WHERE {where} AND d.folded ~* :p"
    else:
        folded = fold(query)
        params["like"] = f"%{_escape_like(folded)}%"
        if sqlite and len(folded) >= 3:
            params["q"] = '"' + folded.replace('"', '""') + '"'
            params["raw"] = folded
            sql = (
                f"SELECT {cols} FROM search_fts f JOIN search_doc d ON d.id = f.rowid "
                f"WHERE search_fts MATCH :q AND {where} AND instr(d.folded, :raw) > 0"
            )
        else:
            # PostgreSQL: the GIN trigram index serves LIKE; under three characters a scan.
            sql = (
                f"SELECT {cols} FROM search_doc d WHERE {where} AND d.folded LIKE :like ESCAPE '\\'"
            )
    # FTS5 gives its rowids (= d.id) in order: ordering by them sorts nothing, so a LIMIT
    # stops early.
    sql += " ORDER BY f.rowid" if "search_fts" in sql else " ORDER BY d.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = conn.execute(sa.text(sql), params).all()
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def _snippet(text: str, query: str, regex: bool) -> str:
    """Up to SNIPPET_CONTEXT characters either side of the first match, on one line."""
    folded = fold(text)
    at, length = -1, 0
    if regex:
        m = re.search(_strip_marks(query), folded, re.IGNORECASE)
        if m is not None and m.end() > m.start():
            at, length = m.start(), m.end() - m.start()
    else:
        q = fold(query)
        at, length = folded.find(q), len(q)
    start = end = -1
    if at >= 0 and length:
        start, end = _original_span(text, at, length)
    if start < 0:
        start = end = 0
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1  # the accent written after the last letter belongs to the match
    lo = max(0, start - SNIPPET_CONTEXT)
    hi = min(len(text), end + SNIPPET_CONTEXT)
    piece = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")


def _locator(r: Any) -> dict[str, Any]:
    loc: dict[str, Any] = {"item_sha256": r.loc_sha256, "path": r.loc_path}
    for name in ("line", "offset", "pointer"):
        value = getattr(r, f"loc_{name}")
        if value is not None:
            loc[name] = value
    return loc


def search(
    case: Case,
    query: str,
    *,
    regex: bool = False,
    scope: str = "all",
    limit: int | None = None,
    update: bool = True,
) -> list[Hit]:
    """Hits for ``query`` in index order (messages, items and accounts as recorded).

    One hit per message field, item name and account field (an account seen in several
    sources gives one hit per field). ``update=False`` skips bringing the index up to date
    (for a benchmark that measures the query alone).
    """
    if not query.strip():
        raise SearchError("search: the query is empty")
    kinds = _kinds(scope)
    if update:
        update_index(case)
    with db.read_connection(case.engine) as conn:
        # With a limit, ask the database for that many rows (more if accounts seen in
        # several sources repeat a field), so a common word does not fetch every match.
        fetch = None if limit is None else max(limit, 1)
        while True:
            found = _matching_ids(conn, case.case_id, query, kinds, regex, fetch)
            seen: set[tuple[str, str, str]] = set()
            picked: list[tuple[str, str, int | None, str]] = []
            for _doc, kind, ref, row_id, field in found:
                key = (kind, ref, field)
                if key in seen:
                    continue
                seen.add(key)
                picked.append((kind, ref, row_id, field))
                if limit is not None and len(picked) >= limit:
                    break
            if fetch is None or len(picked) >= (limit or 0) or len(found) < fetch:
                return _hits(conn, picked, query, regex)
            fetch *= 4


def _hits(
    conn: sa.Connection, picked: list[tuple[str, str, int | None, str]], query: str, regex: bool
) -> list[Hit]:
    messages = _rows(conn, T_MESSAGE, [p[2] for p in picked if p[0] == "message"])
    accounts = _rows(conn, T_ACCOUNT, [p[2] for p in picked if p[0] == "account"])
    item_ids = [p[1] for p in picked if p[0] == "item"]
    items: dict[Any, Any] = {}
    for start in range(0, len(item_ids), 500):
        for r in conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.name, T_ITEM.c.sha256, T_ITEM.c.path).where(
                T_ITEM.c.id.in_(item_ids[start : start + 500])
            )
        ):
            items[r.id] = r
    hits: list[Hit] = []
    for kind, ref, row_id, field in picked:
        if kind == "item":
            it = items[ref]
            loc = {"item_sha256": it.sha256, "path": it.path}
            hits.append(Hit("item", ref, field, _snippet(it.name, query, regex), loc))
            continue
        r = (messages if kind == "message" else accounts)[row_id]
        if kind == "message":
            text = r.thread_title if field == "subject" else r.text
            hits.append(Hit("message", int(r.id), field, _snippet(text, query, regex), _locator(r)))
        else:
            text = getattr(r, field)
            hits.append(Hit("account", ref, field, _snippet(text, query, regex), _locator(r)))
    return hits


_LOC = ("loc_sha256", "loc_path", "loc_line", "loc_offset", "loc_pointer")


def _rows(conn: sa.Connection, table: Any, ids: Sequence[int | None]) -> dict[Any, Any]:
    wanted = [i for i in ids if i is not None]
    names = ("text", "thread_title") if table is T_MESSAGE else ACCOUNT_FIELDS
    columns = [table.c.id, *(table.c[n] for n in (*names, *_LOC))]
    out: dict[Any, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for r in conn.execute(sa.select(*columns).where(table.c.id.in_(chunk))):
            out[r.id] = r
    return out


# --- saved searches: the digital strategy's keywords ---------------------------------------


@dataclass(frozen=True)
class SavedRun:
    query: str
    hits: list[Hit]
    ledger_seq: int

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "hit_count": len(self.hits),
            "ledger_seq": self.ledger_seq,
            "hits": [h.as_json() for h in self.hits],
        }


def run_saved(case: Case, signer: Signer) -> list[SavedRun]:
    """Run every keyword of the case details' digital strategy over the whole case.

    Each run is a ``search.run`` ledger entry with the query, how it was run and the hit
    count, so the MG6 can say which lines of enquiry were searched and what they found.
    """
    from exports.details import current_details

    keywords = current_details(case).digital_strategy.keywords
    if not keywords:
        raise SearchError(
            "search --saved: the case details record no digital strategy keywords "
            "([digital_strategy] keywords; see docs/case-details.example.toml)"
        )
    runs: list[SavedRun] = []
    for word in keywords:
        hits = search(case, word, scope="all")
        data = {
            "query": word,
            "match": "substring",  # folded, case- and accent-insensitive
            "in": "all",
            "saved": "digital_strategy.keywords",
            "hits": len(hits),
        }
        made = case.record(signer, [NewEntry("search.run", case.case_id, data)])
        runs.append(SavedRun(word, hits, made[0].seq))
    return runs
