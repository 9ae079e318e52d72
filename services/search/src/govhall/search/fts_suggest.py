"""Suggestions in the embedded back end: the keys of published matters' names (see spelling.py)
in an FTS5 table per generation, `sug_g<n>` (rowid = the document's doc_id), looked up with FTS5's
prefix query, which walks the sorted term index: as fast for 300,000 names as for 300.

The keys are computed in Python (pypinyin), so no trigger can keep the table in step: every write
of a document (a put, a rebuild's batch) rewrites its keys in the same transaction, and only if
the document's stored revision is the one written (an older revision changed nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from govhall.search.model import MATTER, SearchDoc, Suggestion
from govhall.search.spelling import key_of, suggest_keys

log = logging.getLogger(__name__)


def schema(g: str) -> list[str]:
    # unicode61 keeps a run of ideographs, or of letters and digits, as one token: a key is a token.
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS sug_{g} USING fts5(keys, tokenize='unicode61', prefix='1 2')"
    ]


def drop(g: str) -> str:
    return f"DROP TABLE IF EXISTS sug_{g}"


def _keys(doc: SearchDoc) -> str:
    if doc.kind != MATTER or not doc.published or not doc.title.strip():
        return ""
    return " ".join(suggest_keys(doc.title))


async def put(conn: AsyncConnection, g: str, docs: Iterable[SearchDoc]) -> None:
    """Rewrite the keys of docs that are stored at exactly their revision (just written)."""
    rows = [{"kind": d.kind, "id": d.id, "revision": d.revision, "keys": _keys(d)} for d in docs]
    if not rows:
        return
    stored = f"SELECT doc_id FROM docs_{g} WHERE kind = :kind AND id = :id AND revision = :revision"
    await conn.execute(sa.text(f"DELETE FROM sug_{g} WHERE rowid IN ({stored})"), rows)
    with_keys = [r for r in rows if r["keys"]]
    if with_keys:
        await conn.execute(
            sa.text(f"INSERT INTO sug_{g} (rowid, keys) SELECT doc_id, :keys FROM ({stored})"), with_keys
        )


async def ensure(conn: AsyncConnection, g: str) -> None:
    """Give a generation of an earlier release its keys table, filled from its published matters."""
    exists = await conn.scalar(
        sa.text("SELECT count(*) FROM sqlite_master WHERE name = :n"), {"n": f"sug_{g}"}
    )
    if exists:
        return
    for statement in schema(g):
        await conn.exec_driver_sql(statement)
    rows = (
        await conn.execute(
            sa.text(f"SELECT doc_id, title FROM docs_{g} WHERE kind = :kind AND published = 1"),
            {"kind": MATTER},
        )
    ).all()
    keyed = [{"doc_id": r.doc_id, "keys": " ".join(suggest_keys(r.title))} for r in rows if r.title.strip()]
    if keyed:
        await conn.execute(sa.text(f"INSERT INTO sug_{g} (rowid, keys) VALUES (:doc_id, :keys)"), keyed)
    log.info("search index: suggestion keys of %d matters added to generation %s", len(keyed), g)


async def suggest(
    conn: AsyncConnection, g: str, site_codes: tuple[str, ...], typed: str, size: int
) -> list[Suggestion]:
    """Distinct names of published matters in scope one of whose keys starts with what was typed:
    shorter names first (the general matter: 居民身份证 before 居民身份证换领), then by name. Of
    matters that share a name (a county's copy of a province matter), the one of the deepest site
    in site_codes (the searching site's own) is offered."""
    key = key_of(typed)
    if not site_codes or not key or size < 1:
        return []
    sites = {f"s{i}": code for i, code in enumerate(site_codes)}
    depth = " ".join(f"WHEN :s{i} THEN {i}" for i in range(len(site_codes)))
    sql = (
        "SELECT title, id, site_code FROM ("
        " SELECT d.title, d.id, d.site_code,"
        f" row_number() OVER (PARTITION BY d.title ORDER BY CASE d.site_code {depth} END DESC, d.id) AS nearest"
        f" FROM sug_{g} s JOIN docs_{g} d ON d.doc_id = s.rowid"
        f" WHERE sug_{g} MATCH :m AND d.kind = :kind AND d.published = 1"
        f" AND d.site_code IN ({', '.join(':' + s for s in sites)})"
        ") WHERE nearest = 1 ORDER BY length(title), title LIMIT :size"
    )
    # The key holds only ideographs, letters and digits: one token, quoted, as a prefix.
    params = {**sites, "m": f'"{key}"*', "kind": MATTER, "size": size}
    rows = (await conn.execute(sa.text(sql), params)).all()
    return [Suggestion(text=r.title, matter_code=r.id, site_code=r.site_code) for r in rows]
