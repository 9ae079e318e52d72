"""The embedded back end for all-in-one mode: SQLite FTS5 with the trigram tokenizer.

Trigrams match any substring of three or more characters, which suits Chinese without a
word segmenter. A shorter term (两字词 such as 护照) cannot use the trigram index, so it falls back
to LIKE over the documents: fine at a small site's few thousand matters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from govhall.kit.db import READ_ONLY, create_engine
from govhall.search.model import Hit, MatterDoc

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS matter_docs (
        code TEXT PRIMARY KEY, revision INTEGER NOT NULL, published INTEGER NOT NULL,
        site_code TEXT NOT NULL, site_name TEXT NOT NULL, name TEXT NOT NULL,
        department_name TEXT NOT NULL, type INTEGER NOT NULL, audiences TEXT NOT NULL,
        online_application INTEGER NOT NULL, body TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_matter_docs_site ON matter_docs (site_code, published)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS matter_fts USING fts5(
        name, department_name, body, content='matter_docs', content_rowid='rowid', tokenize='trigram')""",
    # Keep the FTS index in step with matter_docs (external-content table triggers).
    """CREATE TRIGGER IF NOT EXISTS matter_docs_ai AFTER INSERT ON matter_docs BEGIN
        INSERT INTO matter_fts(rowid, name, department_name, body)
        VALUES (new.rowid, new.name, new.department_name, new.body); END""",
    """CREATE TRIGGER IF NOT EXISTS matter_docs_ad AFTER DELETE ON matter_docs BEGIN
        INSERT INTO matter_fts(matter_fts, rowid, name, department_name, body)
        VALUES ('delete', old.rowid, old.name, old.department_name, old.body); END""",
    """CREATE TRIGGER IF NOT EXISTS matter_docs_au AFTER UPDATE ON matter_docs BEGIN
        INSERT INTO matter_fts(matter_fts, rowid, name, department_name, body)
        VALUES ('delete', old.rowid, old.name, old.department_name, old.body);
        INSERT INTO matter_fts(rowid, name, department_name, body)
        VALUES (new.rowid, new.name, new.department_name, new.body); END""",
]


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class EmbeddedBackend:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_engine(f"sqlite+aiosqlite:///{path}")

    async def ensure(self) -> None:
        async with self._engine.begin() as conn:
            for statement in _SCHEMA:
                await conn.exec_driver_sql(statement)

    async def put(self, doc: MatterDoc) -> bool:
        row = {
            "code": doc.code,
            "revision": doc.revision,
            "published": int(doc.published),
            "site_code": doc.site_code,
            "site_name": doc.site_name,
            "name": doc.name,
            "department_name": doc.department_name,
            "type": doc.type,
            "audiences": ",".join(str(a) for a in doc.audiences),
            "online_application": int(doc.online_application),
            "body": doc.body,
        }
        async with self._engine.begin() as conn:
            current = await conn.scalar(
                sa.text("SELECT revision FROM matter_docs WHERE code = :c"), {"c": doc.code}
            )
            if current is not None and current >= doc.revision:
                return False
            if current is None:
                await conn.execute(
                    sa.text(
                        "INSERT INTO matter_docs VALUES (:code, :revision, :published, :site_code, :site_name, :name, "
                        ":department_name, :type, :audiences, :online_application, :body)"
                    ),
                    row,
                )
            else:
                await conn.execute(
                    sa.text(
                        "UPDATE matter_docs SET revision=:revision, published=:published, site_code=:site_code, "
                        "site_name=:site_name, name=:name, department_name=:department_name, type=:type, "
                        "audiences=:audiences, online_application=:online_application, body=:body WHERE code=:code"
                    ),
                    row,
                )
        return True

    async def search(
        self, site_codes: list[str], query: str, offset: int, size: int
    ) -> tuple[list[Hit], int]:
        params: dict[str, Any] = {"q": query}
        where = ["d.published = 1", f"d.site_code IN ({', '.join(f':s{i}' for i in range(len(site_codes)))})"]
        params.update({f"s{i}": code for i, code in enumerate(site_codes)})
        long_terms = [t for t in query.split() if len(t) >= 3]
        for i, term in enumerate(t for t in query.split() if len(t) < 3):
            where.append(
                f"(d.name LIKE :l{i} ESCAPE '\\' OR d.department_name LIKE :l{i} ESCAPE '\\' "
                f"OR d.body LIKE :l{i} ESCAPE '\\')"
            )
            params[f"l{i}"] = _like(term)
        if long_terms:
            source = "matter_fts f JOIN matter_docs d ON d.rowid = f.rowid"
            where.append("matter_fts MATCH :match")
            params["match"] = " AND ".join(_fts_phrase(t) for t in long_terms)
            # bm25 is lower-is-better; weight the name over the department and the guide text.
            score = "-bm25(matter_fts, 8.0, 2.0, 1.0)"
        else:
            source = "matter_docs d"
            score = "0.0"
        # A name that contains the whole query comes first, as it does with Elasticsearch's phrase boost.
        rank = f"(instr(d.name, :q) > 0) * 100.0 + {score}"
        sql_where = " AND ".join(where)
        async with self._engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            total = await conn.scalar(sa.text(f"SELECT count(*) FROM {source} WHERE {sql_where}"), params)
            rows = (
                await conn.execute(
                    sa.text(
                        f"SELECT d.*, {rank} AS score FROM {source} WHERE {sql_where} "
                        f"ORDER BY score DESC, d.code LIMIT :size OFFSET :offset"
                    ),
                    {**params, "size": size, "offset": offset},
                )
            ).all()
        hits = [
            Hit(
                MatterDoc(
                    code=r.code,
                    revision=r.revision,
                    published=bool(r.published),
                    site_code=r.site_code,
                    site_name=r.site_name,
                    name=r.name,
                    department_name=r.department_name,
                    type=r.type,
                    audiences=tuple(int(a) for a in r.audiences.split(",") if a),
                    online_application=bool(r.online_application),
                    body=r.body,
                ),
                float(r.score),
            )
            for r in rows
        ]
        return hits, int(total or 0)

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        await self._engine.dispose()
