"""The embedded back end for all-in-one mode: SQLite FTS5 with the trigram tokenizer.

Trigrams match any substring of three or more characters, which suits Chinese without a word
segmenter. A shorter term (两字词 such as 护照) cannot use the trigram index, so it falls back to
LIKE over the documents in scope: fine at the few thousand documents of an all-in-one site.

Generations. The documents live in a pair of tables per generation, `docs_g<n>` (every field of
SearchDoc, one row per (kind, id)) and `fts_g<n>` (the FTS5 index over its title, department
name and body, kept in step by triggers). The row `current` of `search_meta` names the
generation queries use; each query reads it first, in the same read transaction as the search,
so under WAL it sees one consistent snapshot: the old generation or the new one, never a
half-built or dropped one. A rebuild creates the next generation and names it in the row
`building`; from then on `put` writes every live change to both. Puts, the rebuild's writes and
the swap all hold SQLite's single write lock, so no put falls between reading the generations
and the swap. The swap updates `current`
and drops the old generation in one write transaction; an abort drops the new one. A rebuild
left behind by a crash is dropped by `ensure` at start-up.

Ranking follows the Elasticsearch back end: a title containing the whole query first, then a
title containing a whole synonym variant, then documents matching the original text, then
bm25 (title weighted 8, department 2, body 1) plus the same weights for the short terms
matched by LIKE; ties go to the shorter title. The total and the four facets come from one
statement over the matching documents, gathered once; unspecified enum values and an empty
department code are not facet values.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from govhall.kit.db import READ_ONLY, create_engine
from govhall.kit.errors import DomainError, ErrorKind
from govhall.search import fts_suggest, fts_tokens
from govhall.search.model import (
    FACET_FIELDS,
    MATTER,
    Hit,
    Query,
    Result,
    SearchDoc,
    Suggestion,
)

log = logging.getLogger(__name__)

# Values listed per facet field at most (most frequent first), as with the Elasticsearch back end.
FACET_SIZE = 100
# bm25 weights of the FTS columns: title, department name, body.
_WEIGHTS = (8.0, 2.0, 1.0)
_TRIGRAM = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_GENERATION = re.compile(r"^g[0-9]+$")

_META = "CREATE TABLE IF NOT EXISTS search_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"

_COLUMNS = (
    "kind",
    "id",
    "revision",
    "published",
    "site_code",
    "site_name",
    "site_level",
    "site_path",
    "title",
    "body",
    "department_code",
    "department_name",
    "type",
    "audiences",
    "themes",
    "life_events",
    "online_application",
    "version",
    "publish_at",
    "matter_code",
    "title_tokens",
    "body_tokens",
)


def _generation_schema(g: str) -> list[str]:
    return [
        # doc_id is an INTEGER PRIMARY KEY so the FTS rows' rowids stay valid through a VACUUM.
        # Tuples are JSON arrays; publish_at is microseconds since the epoch (UTC), NULL: always shown.
        f"""CREATE TABLE docs_{g} (
            doc_id INTEGER PRIMARY KEY,
            kind INTEGER NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, published INTEGER NOT NULL,
            site_code TEXT NOT NULL, site_name TEXT NOT NULL, site_level INTEGER NOT NULL,
            site_path TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
            department_code TEXT NOT NULL, department_name TEXT NOT NULL, type INTEGER NOT NULL,
            audiences TEXT NOT NULL, themes TEXT NOT NULL, life_events TEXT NOT NULL,
            online_application INTEGER NOT NULL, version INTEGER NOT NULL, publish_at INTEGER,
            matter_code TEXT NOT NULL,
            title_tokens TEXT NOT NULL DEFAULT '', body_tokens TEXT NOT NULL DEFAULT '',
            UNIQUE (kind, id))""",
        f"CREATE INDEX ix_docs_{g}_site ON docs_{g} (site_code, kind, published)",
        f"""CREATE VIRTUAL TABLE fts_{g} USING fts5(
            title, department_name, body, content='docs_{g}', content_rowid='doc_id', tokenize='trigram')""",
        f"""CREATE TRIGGER docs_{g}_ai AFTER INSERT ON docs_{g} BEGIN
            INSERT INTO fts_{g}(rowid, title, department_name, body)
            VALUES (new.doc_id, new.title, new.department_name, new.body); END""",
        f"""CREATE TRIGGER docs_{g}_ad AFTER DELETE ON docs_{g} BEGIN
            INSERT INTO fts_{g}(fts_{g}, rowid, title, department_name, body)
            VALUES ('delete', old.doc_id, old.title, old.department_name, old.body); END""",
        f"""CREATE TRIGGER docs_{g}_au AFTER UPDATE ON docs_{g} BEGIN
            INSERT INTO fts_{g}(fts_{g}, rowid, title, department_name, body)
            VALUES ('delete', old.doc_id, old.title, old.department_name, old.body);
            INSERT INTO fts_{g}(rowid, title, department_name, body)
            VALUES (new.doc_id, new.title, new.department_name, new.body); END""",
        *fts_tokens.schema(g),
        *fts_suggest.schema(g),
    ]


def _upsert_sql(g: str) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
    return (
        f"INSERT INTO docs_{g} ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
        # Only a newer revision replaces a stored document (redelivered or reordered events).
        f"ON CONFLICT (kind, id) DO UPDATE SET {updates} WHERE excluded.revision > docs_{g}.revision"
    )


async def _drop_generation(conn: AsyncConnection, g: str) -> None:
    await conn.exec_driver_sql(f"DROP TABLE IF EXISTS fts_{g}")
    await conn.exec_driver_sql(f"DROP TABLE IF EXISTS tok_{g}")
    await conn.exec_driver_sql(fts_suggest.drop(g))
    await conn.exec_driver_sql(f"DROP TABLE IF EXISTS docs_{g}")  # its index and triggers go with it


async def _meta(conn: AsyncConnection) -> dict[str, str]:
    rows = (await conn.exec_driver_sql("SELECT name, value FROM search_meta")).all()
    meta = {str(r[0]): str(r[1]) for r in rows}
    for name in ("current", "building"):
        if name in meta and not _GENERATION.match(meta[name]):
            raise RuntimeError(f"search_meta.{name} names no generation: {meta[name]!r}")
    return meta


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _row(doc: SearchDoc) -> dict[str, Any]:
    return {
        "kind": doc.kind,
        "id": doc.id,
        "revision": doc.revision,
        "published": int(doc.published),
        "site_code": doc.site_code,
        "site_name": doc.site_name,
        "site_level": doc.site_level,
        "site_path": json.dumps(list(doc.site_path), ensure_ascii=False),
        "title": doc.title,
        "body": doc.body,
        "department_code": doc.department_code,
        "department_name": doc.department_name,
        "type": doc.type,
        "audiences": json.dumps(list(doc.audiences)),
        "themes": json.dumps(list(doc.themes), ensure_ascii=False),
        "life_events": json.dumps(list(doc.life_events), ensure_ascii=False),
        "online_application": int(doc.online_application),
        "version": doc.version,
        "publish_at": None if doc.publish_at is None else _micros(doc.publish_at),
        "matter_code": doc.matter_code,
        **fts_tokens.columns(doc),
    }


def _doc(r: Any) -> SearchDoc:
    return SearchDoc(
        kind=r.kind,
        id=r.id,
        revision=r.revision,
        published=bool(r.published),
        site_code=r.site_code,
        site_name=r.site_name,
        site_level=r.site_level,
        site_path=tuple(json.loads(r.site_path)),
        title=r.title,
        body=r.body,
        department_code=r.department_code,
        department_name=r.department_name,
        type=r.type,
        audiences=tuple(json.loads(r.audiences)),
        themes=tuple(json.loads(r.themes)),
        life_events=tuple(json.loads(r.life_events)),
        online_application=bool(r.online_application),
        version=r.version,
        publish_at=None if r.publish_at is None else _EPOCH + timedelta(microseconds=r.publish_at),
        matter_code=r.matter_code,
    )


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class _Sql:
    """A query's SQL pieces for one generation, with their bound parameters."""

    def __init__(self, g: str, query: Query) -> None:
        self.params: dict[str, Any] = {"text": query.text, "kind": query.kind, "now": _micros(query.now)}
        variants = list(dict.fromkeys(v for v in (query.variants or (query.text,)) if v.split()))
        if query.text not in variants:
            variants.insert(0, query.text)
        term_lists = [v.split() for v in variants]
        # Highlighted: the variants whole and their words.
        self.terms = list(dict.fromkeys([*variants, *(t for terms in term_lists for t in terms)]))
        short_terms = list(dict.fromkeys(t for terms in term_lists for t in terms if len(t) < _TRIGRAM))
        # One clause per variant: its long terms through FTS (a phrase each, all of them), its short
        # terms through LIKE on any of the three fields.
        clauses: list[str] = []
        fts_any: list[str] = []
        tok_any: list[str] = []
        for i, terms in enumerate(term_lists):
            parts: list[str] = []
            long_terms = [t for t in terms if len(t) >= _TRIGRAM]
            if long_terms:
                expression = " AND ".join(_phrase(t) for t in long_terms)
                fts_any.append(f"({expression})")
                self.params[f"m{i}"] = expression
                parts.append(f"d.doc_id IN (SELECT rowid FROM fts_{g} WHERE fts_{g} MATCH :m{i})")
            for t in terms:
                if len(t) < _TRIGRAM:
                    name = self._bind("l", _like(t))
                    parts.append(
                        f"(d.title LIKE :{name} ESCAPE '\\' OR d.department_name LIKE :{name} ESCAPE '\\' "
                        f"OR d.body LIKE :{name} ESCAPE '\\')"
                    )
            # Or all its words in the word index (normalised: 營業執照 is 营业执照 there).
            words = fts_tokens.phrase_expression(terms)
            if words:
                self.params[f"k{i}"] = words
                tok_any.append(f"({words})")
                parts = [
                    f"(({' AND '.join(parts)}) OR d.doc_id IN (SELECT rowid FROM tok_{g} WHERE tok_{g} MATCH :k{i}))"
                ]
            clauses.append("(" + " AND ".join(parts) + ")")
        self.original = clauses[0]
        self.matches = "(" + " OR ".join(clauses) + ")"
        # bm25 of every document any variant's long terms match; with no short-only variant those
        # documents are all the candidates, so the query is driven from the FTS index.
        if fts_any:
            self.params["any"] = " OR ".join(fts_any)
            weights = ", ".join(str(w) for w in _WEIGHTS)
            word_weights = ", ".join(str(w) for w in fts_tokens.WEIGHTS)
            by_words = ""
            if tok_any:
                self.params["words"] = " OR ".join(tok_any)
                by_words = f" UNION ALL SELECT rowid, 1, -bm25(tok_{g}, {word_weights}) FROM tok_{g} WHERE tok_{g} MATCH :words"
            # A document the text index finds keeps its score there, so ranking is as it was; one
            # found only by its words (written in traditional characters) gets the words' score.
            self.ranked: str | None = (
                "ranked AS MATERIALIZED (SELECT doc_id, coalesce(max(CASE WHEN by_words = 0 THEN relevance END), "
                "max(relevance)) AS relevance FROM ("
                f"SELECT rowid AS doc_id, 0 AS by_words, -bm25(fts_{g}, {weights}) AS relevance FROM fts_{g} "
                f"WHERE fts_{g} MATCH :any{by_words}) GROUP BY doc_id)"
            )
            if len(fts_any) == len(term_lists):
                self.source = f"ranked r JOIN docs_{g} d ON d.doc_id = r.doc_id"
            else:
                self.source = f"docs_{g} d LEFT JOIN ranked r ON r.doc_id = d.doc_id"
            relevance = "coalesce(r.relevance, 0.0)"
        else:
            self.ranked = None
            self.source = f"docs_{g} d"
            relevance = "0.0"
        title_w, department_w, body_w = _WEIGHTS
        for t in short_terms:
            name = self._bind("t", t)
            relevance += (
                f" + (instr(d.title, :{name}) > 0) * {title_w} + (instr(d.department_name, :{name}) > 0) * "
                f"{department_w} + (instr(d.body, :{name}) > 0) * {body_w}"
            )
        self.relevance = relevance
        whole_variants = [v for v in variants if v != query.text]
        variant_in_title = " OR ".join(f"instr(d.title, :{self._bind('v', v)}) > 0" for v in whole_variants)
        self.tier = (
            "((instr(d.title, :text) > 0) * 4"
            + (f" + ({variant_in_title}) * 2" if variant_in_title else "")
            + f" + ({self.original}) * 1)"
        )

        self.filters = [
            "d.published = 1",
            "d.kind = :kind",
            "(d.publish_at IS NULL OR d.publish_at <= :now)",
            self.matches,
        ]
        if query.site_codes:
            self.filters.append(f"d.site_code IN ({self._bind_list('s', query.site_codes)})")
        if query.region_code:
            self.params["region"] = query.region_code
            self.filters.append("EXISTS (SELECT 1 FROM json_each(d.site_path) WHERE value = :region)")
        if query.theme:
            self.params["theme"] = query.theme
            self.filters.append("EXISTS (SELECT 1 FROM json_each(d.themes) WHERE value = :theme)")
        if query.life_event:
            self.params["life_event"] = query.life_event
            self.filters.append("EXISTS (SELECT 1 FROM json_each(d.life_events) WHERE value = :life_event)")
        if query.online_only:
            self.filters.append("d.online_application = 1")
        # The facet filters, by facet field: each facet is counted without its own.
        self.facet_filters: dict[str, str] = {}
        if query.types:
            self.facet_filters["type"] = f"d.type IN ({self._bind_list('ty', query.types)})"
        if query.audiences:
            self.facet_filters["audience"] = (
                "EXISTS (SELECT 1 FROM json_each(d.audiences) WHERE value IN "
                f"({self._bind_list('au', query.audiences)}))"
            )
        if query.department_codes:
            self.facet_filters["department"] = (
                f"d.department_code IN ({self._bind_list('de', query.department_codes)})"
            )
        if query.site_levels:
            self.facet_filters["site_level"] = f"d.site_level IN ({self._bind_list('sl', query.site_levels)})"

    def _bind(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.params)}"
        self.params[name] = value
        return name

    def _bind_list(self, prefix: str, values: Sequence[Any]) -> str:
        return ", ".join(":" + self._bind(prefix, v) for v in values)

    def _with(self, *ctes: str) -> str:
        present = [c for c in (self.ranked, *ctes) if c]
        return f"WITH {', '.join(present)} " if present else ""

    def hits_sql(self) -> str:
        where = " AND ".join(self.filters + list(self.facet_filters.values()))
        return (
            f"{self._with()}SELECT d.*, {self.tier} AS tier, {self.relevance} AS relevance "
            f"FROM {self.source} WHERE {where} "
            "ORDER BY tier DESC, relevance DESC, length(d.title), d.id LIMIT :size OFFSET :offset"
        )

    def counts_sql(self) -> str:
        """The total and every facet in one statement, rows of (field, value, name, count): the
        documents matching the query, scope and plain filters are gathered once, each with a flag
        per facet filter; the total needs every flag, a facet every flag but its own."""
        flags = [f"({sql}) AS f_{field}" for field, sql in self.facet_filters.items()]
        fields = ("d.type AS type", "d.audiences AS audiences", "d.department_code AS department")
        columns = ", ".join(
            [*fields, "d.department_name AS department_name", "d.site_level AS site_level", *flags]
        )
        matched = f"matched AS MATERIALIZED (SELECT {columns} FROM {self.source} WHERE {' AND '.join(self.filters)})"

        def but(field: str = "") -> str:
            return " AND ".join([f"f_{f}" for f in self.facet_filters if f != field] or ["1"])

        # Unspecified enum values and an empty department are no choice a portal can offer.
        # Departments are counted per (code, name): the name shown is the code's most frequent one.
        parts = [
            f"SELECT 'total' AS field, '' AS value, '' AS name, count(*) AS n FROM matched WHERE {but()}",
            f"SELECT 'type', type, '', count(*) FROM matched WHERE {but('type')} AND type != 0 GROUP BY type",
            # CROSS JOIN keeps matched the outer loop (json_each reads its row).
            "SELECT 'audience', a.value, '', count(*) FROM matched CROSS JOIN json_each(matched.audiences) a "
            f"WHERE {but('audience')} GROUP BY a.value",
            f"SELECT 'department', department, department_name, count(*) FROM matched "
            f"WHERE {but('department')} AND department != '' GROUP BY department, department_name",
            f"SELECT 'site_level', site_level, '', count(*) FROM matched WHERE {but('site_level')} "
            "AND site_level != 0 GROUP BY site_level",
        ]
        return self._with(matched) + " UNION ALL ".join(parts)


def _ranked_values(field: str, counts: dict[Any, int]) -> list[tuple[str, int]]:
    """Most frequent first; ties by value (numbers as numbers), as Elasticsearch's terms aggregation."""

    def order(item: tuple[Any, int]) -> tuple[int, Any]:
        return (-item[1], str(item[0]) if field == "department" else int(item[0]))

    return [(str(value), count) for value, count in sorted(counts.items(), key=order)][:FACET_SIZE]


class EmbeddedBackend:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_engine(f"sqlite+aiosqlite:///{path}")

    async def ensure(self) -> None:
        """Create the first generation if there is none; drop what a crashed rebuild left."""
        async with self._engine.begin() as conn:
            await conn.exec_driver_sql(_META)
            # The index of earlier releases (matters only): rebuilt by a reindex.
            legacy = await conn.scalar(
                sa.text("SELECT count(*) FROM sqlite_master WHERE name IN ('matter_docs', 'matter_fts')")
            )
            if legacy:
                await conn.exec_driver_sql("DROP TABLE IF EXISTS matter_fts")
                await conn.exec_driver_sql("DROP TABLE IF EXISTS matter_docs")
                log.warning("dropped the old matters-only search index; run a reindex to fill the new one")
            meta = await _meta(conn)
            current = meta.get("current")
            if current is None:
                current = "g1"
                for statement in _generation_schema(current):
                    await conn.exec_driver_sql(statement)
                await self._set(conn, "current", current)
                await self._set(conn, "last", "1")
            elif await fts_tokens.upgrade(conn, current):
                log.info("search index generation %s: added the word index", current)
            await conn.execute(sa.text("DELETE FROM search_meta WHERE name = 'building'"))
            await fts_suggest.ensure(conn, current)
            tables = await conn.scalars(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'docs_g[0-9]*'")
            )
            for table in tables.all():
                g = table.removeprefix("docs_")
                if g != current and _GENERATION.match(g):
                    log.warning("dropping search index generation %s left by an unfinished rebuild", g)
                    await _drop_generation(conn, g)

    @staticmethod
    async def _set(conn: AsyncConnection, name: str, value: str) -> None:
        await conn.execute(
            sa.text(
                "INSERT INTO search_meta (name, value) VALUES (:n, :v) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            {"n": name, "v": value},
        )

    async def refresh(self) -> None:
        """Nothing to do: a committed write is what the next search reads."""

    async def put(self, doc: SearchDoc) -> bool:
        row = _row(doc)
        async with self._engine.begin() as conn:
            meta = await _meta(conn)
            stored = False
            for name in ("current", "building"):
                g = meta.get(name)
                if g is not None:
                    result = await conn.execute(sa.text(_upsert_sql(g)), row)
                    await fts_suggest.put(conn, g, [doc])
                    if name == "current":
                        stored = result.rowcount > 0
        return stored

    async def _read(self) -> AsyncConnection:
        conn = await self._engine.connect()
        await conn.execution_options(**{READ_ONLY: True})
        return conn

    async def current_generation(self) -> str:
        conn = await self._read()
        try:
            return (await _meta(conn))["current"]
        finally:
            await conn.close()

    async def matter_names(self) -> list[str]:
        conn = await self._read()
        try:
            g = (await _meta(conn))["current"]
            sql = f"SELECT DISTINCT title FROM docs_{g} WHERE kind = :kind AND published"
            return [r[0] for r in (await conn.execute(sa.text(sql), {"kind": MATTER})).all()]
        finally:
            await conn.close()

    async def search(self, query: Query) -> Result:
        conn = await self._read()
        try:
            # The generation and the search in one read transaction: one snapshot of both.
            g = (await _meta(conn))["current"]
            q = _Sql(g, query)
            rows = (
                await conn.execute(
                    sa.text(q.hits_sql()), {**q.params, "size": query.size, "offset": query.offset}
                )
            ).all()
            counts = (await conn.execute(sa.text(q.counts_sql()), q.params)).all()
        finally:
            await conn.close()
        hits = []
        for r in rows:
            doc = _doc(r)
            hits.append(Hit.marked(doc, float(r.tier) * 1000.0 + float(r.relevance), q.terms))
        total = 0
        by_field: dict[str, dict[Any, int]] = {field: {} for field in FACET_FIELDS}
        names: dict[str, list[tuple[int, str]]] = {}
        for field, value, name, count in counts:
            if field == "total":
                total = int(count)
                continue
            by_field[field][value] = by_field[field].get(value, 0) + int(count)
            if field == "department":
                names.setdefault(str(value), []).append((-int(count), str(name)))
        facets = {field: _ranked_values(field, values) for field, values in by_field.items()}
        department_names = {code: min(names[code])[1] for code, _ in facets["department"]}
        return Result(hits=hits, total=total, facets=facets, department_names=department_names)

    async def suggest(self, site_codes: tuple[str, ...], prefix: str, size: int) -> list[Suggestion]:
        """Names of published matters in scope containing what was typed, in characters, pinyin or
        initials (see fts_suggest.suggest)."""
        conn = await self._read()
        try:
            g = (await _meta(conn))["current"]
            return await fts_suggest.suggest(conn, g, site_codes, prefix, size)
        finally:
            await conn.close()

    async def begin_rebuild(self) -> EmbeddedRebuild:
        async with self._engine.begin() as conn:
            meta = await _meta(conn)
            if "building" in meta:
                raise DomainError(
                    code="REINDEX_RUNNING",
                    message=f"a rebuild of the search index ({meta['building']}) is already running",
                    message_zh="搜索索引正在重建，请稍后再试",
                    kind=ErrorKind.WRONG_STATE,
                )
            number = int(meta.get("last", "1")) + 1
            g = f"g{number}"
            await _drop_generation(conn, g)
            for statement in _generation_schema(g):
                await conn.exec_driver_sql(statement)
            await self._set(conn, "building", g)
            await self._set(conn, "last", str(number))
        log.info("search index: building generation %s", g)
        return EmbeddedRebuild(self, g)

    async def ready(self) -> bool:
        try:
            await self.current_generation()
        except Exception:
            log.warning("embedded search index not ready", exc_info=True)
            return False
        return True

    async def close(self) -> None:
        await self._engine.dispose()


class EmbeddedRebuild:
    """A new generation being filled (see the module's docstring)."""

    # SQLite has one writer, in this same process: a second write under way would only wait.
    writes_in_flight = 1

    def __init__(self, backend: EmbeddedBackend, name: str) -> None:
        self.name = name
        self._engine = backend._engine
        self._open = True

    async def _check(self, conn: AsyncConnection) -> dict[str, str]:
        meta = await _meta(conn)
        if not self._open or meta.get("building") != self.name:
            raise RuntimeError(f"search index generation {self.name} is no longer being built")
        return meta

    async def put_many(self, docs: Iterable[SearchDoc]) -> int:
        docs = list(docs)
        rows = [_row(doc) for doc in docs]
        if not rows:
            return 0
        async with self._engine.begin() as conn:
            await self._check(conn)
            result = await conn.execute(sa.text(_upsert_sql(self.name)), rows)
            await fts_suggest.put(conn, self.name, docs)
            return int(result.rowcount)

    async def commit(self) -> str:
        async with self._engine.begin() as conn:
            await self._check(conn)
            # Merge the segments the bulk load wrote, before queries use the new generation.
            await conn.exec_driver_sql(f"INSERT INTO fts_{self.name}(fts_{self.name}) VALUES ('optimize')")
        async with self._engine.begin() as conn:
            meta = await self._check(conn)
            old = meta["current"]
            await EmbeddedBackend._set(conn, "current", self.name)
            await conn.execute(sa.text("DELETE FROM search_meta WHERE name = 'building'"))
            await _drop_generation(conn, old)
            self._open = False
        log.info("search index: generation %s replaced %s", self.name, old)
        return self.name

    async def abort(self) -> None:
        if not self._open:
            return
        self._open = False
        async with self._engine.begin() as conn:
            meta = await _meta(conn)
            if meta.get("building") == self.name:
                await conn.execute(sa.text("DELETE FROM search_meta WHERE name = 'building'"))
                await _drop_generation(conn, self.name)
        log.info("search index: rebuild %s aborted", self.name)
