"""The embedded back end's word index: the normalised words of title and body (understanding.index_tokens).

The trigram index matches text as written; this one matches words after normalisation, so a
query in simplified characters finds a document written in traditional ones (the Hubei seed's
營業執照) and a segmented query (居民身份证 补领) finds its words. It is a second FTS5 table per
generation, `tok_g<n>` over the columns title_tokens and body_tokens of `docs_g<n>`, with the
unicode61 tokenizer: the words are space-separated, and a run of Chinese characters is one token.

Generations made before it existed get it from `upgrade` at start-up: the columns added, filled
from title and body, and the table built from them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from govhall.search import understanding
from govhall.search.model import MATTER, SearchDoc

# bm25 weights of the word columns: title, body (as the trigram index's title and body).
WEIGHTS = (8.0, 1.0)
_FIELDS = "title_tokens, body_tokens"


def columns(doc: SearchDoc) -> dict[str, Any]:
    """The word columns of a document's row; a matter's name is taught to the segmenter first,
    so names are kept whole (and the words inside them too)."""
    if doc.kind == MATTER and doc.title:
        understanding.learn([doc.title])
    return {
        "title_tokens": understanding.index_tokens(doc.title),
        "body_tokens": understanding.index_tokens(doc.body),
    }


def schema(g: str) -> list[str]:
    """The word table of generation g and the triggers keeping it in step with docs_g."""
    return [
        f"""CREATE VIRTUAL TABLE tok_{g} USING fts5(
            {_FIELDS}, content='docs_{g}', content_rowid='doc_id', tokenize='unicode61')""",
        f"""CREATE TRIGGER docs_{g}_tok_ai AFTER INSERT ON docs_{g} BEGIN
            INSERT INTO tok_{g}(rowid, {_FIELDS}) VALUES (new.doc_id, new.title_tokens, new.body_tokens); END""",
        f"""CREATE TRIGGER docs_{g}_tok_ad AFTER DELETE ON docs_{g} BEGIN
            INSERT INTO tok_{g}(tok_{g}, rowid, {_FIELDS})
            VALUES ('delete', old.doc_id, old.title_tokens, old.body_tokens); END""",
        f"""CREATE TRIGGER docs_{g}_tok_au AFTER UPDATE ON docs_{g} BEGIN
            INSERT INTO tok_{g}(tok_{g}, rowid, {_FIELDS})
            VALUES ('delete', old.doc_id, old.title_tokens, old.body_tokens);
            INSERT INTO tok_{g}(rowid, {_FIELDS}) VALUES (new.doc_id, new.title_tokens, new.body_tokens); END""",
    ]


async def upgrade(conn: AsyncConnection, g: str) -> bool:
    """Give generation g its word index if it has none (made by an earlier release); True if done."""
    present = await conn.exec_driver_sql(
        f"SELECT 1 FROM pragma_table_info('docs_{g}') WHERE name = 'title_tokens'"
    )
    if present.first() is not None:
        return False
    for column in ("title_tokens", "body_tokens"):
        await conn.exec_driver_sql(f"ALTER TABLE docs_{g} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    rows = (await conn.exec_driver_sql(f"SELECT doc_id, kind, title, body FROM docs_{g}")).all()
    for doc_id, kind, title, body in rows:
        doc = SearchDoc(
            kind=kind, id="", revision=0, published=False, site_code="", site_name="", site_level=0,
            site_path=(), title=title, body=body,
        )  # fmt: skip
        await conn.exec_driver_sql(
            f"UPDATE docs_{g} SET title_tokens = ?, body_tokens = ? WHERE doc_id = ?",
            (*columns(doc).values(), doc_id),
        )
    # The triggers only after the fill: the table is then built from the content in one go.
    for statement in schema(g):
        await conn.exec_driver_sql(statement)
    await conn.exec_driver_sql(f"INSERT INTO tok_{g}(tok_{g}) VALUES ('rebuild')")
    return True


def phrase_expression(terms: list[str]) -> str:
    """An FTS5 expression: every word of the variant, normalised (words as the index keeps them)."""
    words = [w for t in terms for w in understanding.normalise(t).split()]
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words))
