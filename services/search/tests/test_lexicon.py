"""A site's own synonyms and intent words (the lexicon RPCs): who may maintain them, what they
check, the audit, and that the next search at that site, and at no other, uses them.

The search service runs on each database of the `db_url` fixture (SQLite; PostgreSQL, where the
concurrent puts truly overlap) with the embedded index; the catalogue on SQLite feeds it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.db import Database
from govhall.kit.grpcclient import domain_error
from govhall.kit.races import concurrently, outcomes
from govhall.kit.service import ServiceHost
from govhall.kit.settings import PlatformSettings
from govhall.kit.testing import caller_channel, wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.protos.search.v1 import search_pb2_grpc
from govhall.search import app as search_app
from govhall.search.settings import SearchSettings
from govhall.search.site_lexicons import SiteLexicons

from .test_api import (
    ADMIN,
    CITY,
    COUNTY,
    OTHER_CITY,
    PERSON,
    PROVINCE,
    error_code,
    publish_matter,
    seed_sites,
)

SYNONYM, INTENT = pb.LEXICON_KIND_SYNONYM, pb.LEXICON_KIND_INTENT


def staff(site: str, subject: str, name: str, roles: tuple[str, ...] = ("site_admin",)) -> tuple:
    return caller_metadata(
        common_pb2.CallerIdentity(
            kind=common_pb2.CALLER_KIND_STAFF, subject=subject, name=name, site_code=site, roles=list(roles)
        )
    )


# 宜昌市's site admin administers 西陵区 (its county); 武汉市's does not.
YICHANG = staff(CITY, "staff-yc", "刘管理")
WUHAN = staff(OTHER_CITY, "staff-wh", "王管理")
CLERK = staff(COUNTY, "staff-clerk", "张办事", roles=("handler",))


@dataclass
class Stack:
    search: search_pb2_grpc.SearchServiceStub
    db_url: str


@pytest.fixture
async def lex(db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    bus = InProcessBus()
    platform = PlatformSettings(
        var_dir=tmp_path / "var", nats_url=None, redis_url=None, elasticsearch_url=None
    )
    catalogue = ServiceHost(
        catalogue_app.SPEC,
        CatalogueSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cat.db'}"),
        platform,
        bus,
    )
    await catalogue.start()
    search = ServiceHost(
        search_app.SPEC,
        SearchSettings(database_url=db_url, catalogue_address=catalogue.address),
        platform,
        bus,
    )
    await search.start()
    cch, sch = caller_channel(catalogue.address, "catalogue"), caller_channel(search.address, "search")
    try:
        cstub = catalogue_pb2_grpc.CatalogueServiceStub(cch)
        await seed_sites(cstub)
        # At the province, so 西陵区 and 武汉市 both see them.
        await publish_matter(cstub, "M-SCHOOL", PROVINCE, "义务教育入学登记", "D1")
        await publish_matter(cstub, "M-HUKOU", PROVINCE, "居民户口簿补领", "D1")
        stub = search_pb2_grpc.SearchServiceStub(sch)
        assert await wait_until(lambda: _hits(stub, COUNTY, "居民户口簿")) == ["M-HUKOU"]
        assert await wait_until(lambda: _hits(stub, OTHER_CITY, "入学登记")) == ["M-SCHOOL"]
        yield Stack(stub, db_url)
    finally:
        await cch.close()
        await sch.close()
        await search.stop()
        await catalogue.stop()


async def _hits(search: search_pb2_grpc.SearchServiceStub, site: str, q: str) -> list[str]:
    try:
        reply = await search.Search(pb.SearchRequest(site_code=site, query=q))
    except grpc.aio.AioRpcError:
        return []  # the site copy may not have arrived yet
    return [h.id for h in reply.hits]


def put(
    word: str, terms: list[str], kind: int = SYNONYM, site: str = COUNTY, revision: int = 0
) -> pb.LexiconPutRequest:
    return pb.LexiconPutRequest(site_code=site, kind=kind, word=word, terms=terms, expected_revision=revision)  # type: ignore[arg-type]


def delete(word: str, kind: int = SYNONYM, site: str = COUNTY) -> pb.LexiconDeleteRequest:
    return pb.LexiconDeleteRequest(site_code=site, kind=kind, word=word)  # type: ignore[arg-type]


async def entries(stack: Stack, site: str = COUNTY) -> dict[str, pb.LexiconEntry]:
    reply = await stack.search.ListLexicon(pb.LexiconListRequest(site_code=site), metadata=ADMIN)
    return {f"{e.kind}:{e.word}": e for e in reply.entries}


async def test_a_site_admins_word_is_used_by_the_next_search_there_and_nowhere_else(lex: Stack) -> None:
    search = lex.search
    school = pb.SearchRequest(site_code=COUNTY, query="小孩上学")
    assert [h.id for h in (await search.Search(school)).hits] == []

    entry = await search.PutLexiconEntry(put("小孩上学", ["入学"]), metadata=YICHANG)
    assert (entry.word, list(entry.terms), entry.source, entry.revision, entry.builtin, entry.updated_by) == (
        "小孩上学",
        ["入学"],
        pb.LEXICON_SOURCE_SITE,
        1,
        False,
        "刘管理",
    )
    reply = await search.Search(school)
    assert ([h.id for h in reply.hits], list(reply.synonyms_used)) == (["M-SCHOOL"], ["小孩上学"])
    # 武汉市 has no such word.
    assert await _hits(search, OTHER_CITY, "小孩上学") == []

    # A built-in word hidden at 西陵区 only.
    assert await _hits(search, COUNTY, "户口本") == ["M-HUKOU"]
    hidden = (await search.DeleteLexiconEntry(delete("户口本"), metadata=YICHANG)).entry
    assert (hidden.removed, hidden.source, hidden.builtin, list(hidden.terms)) == (
        True,
        pb.LEXICON_SOURCE_SITE,
        True,
        [],
    )
    # Hidden, the word widens nothing at 西陵区: what the search still finds there is only the
    # 你是不是要找 correction (户口本 is one character from 户口簿), and it says so.
    hidden_there = await search.Search(pb.SearchRequest(site_code=COUNTY, query="户口本"))
    assert "户口本" not in hidden_there.synonyms_used  # (户口 inside it is another built-in word)
    assert [h.id for h in hidden_there.hits] == [] or (
        hidden_there.corrected and hidden_there.original_query == "户口本"
    ), hidden_there
    assert await _hits(search, OTHER_CITY, "户口本") == ["M-HUKOU"]

    # An intent phrase of the site's own is understood at that site only.
    lost = pb.SearchRequest(site_code=COUNTY, query="户口簿整没了")
    assert list((await search.Search(lost)).intents_used) == []
    await search.PutLexiconEntry(put("整没了", ["补领"], kind=INTENT), metadata=YICHANG)
    reply = await search.Search(lost)
    assert ([h.id for h in reply.hits], list(reply.intents_used)) == (["M-HUKOU"], ["整没了"])
    other = await search.Search(pb.SearchRequest(site_code=OTHER_CITY, query="户口簿整没了"))
    assert list(other.intents_used) == []
    await search.DeleteLexiconEntry(delete("整没了", kind=INTENT), metadata=YICHANG)

    # The effective list marks where each entry comes from.
    listed = await entries(lex)
    assert listed[f"{SYNONYM}:小孩上学"].source == pb.LEXICON_SOURCE_SITE
    assert listed[f"{SYNONYM}:户口本"].removed
    assert (listed[f"{SYNONYM}:身份证"].source, list(listed[f"{SYNONYM}:身份证"].terms)) == (
        pb.LEXICON_SOURCE_BUILTIN,
        ["居民身份证"],
    )
    assert f"{SYNONYM}:小孩上学" not in await entries(lex, OTHER_CITY)

    # The audit: both changes, newest first, with who, when, before and after.
    changes = (
        await search.ListLexiconChanges(pb.LexiconChangesRequest(site_code=COUNTY), metadata=YICHANG)
    ).changes
    assert [(c.change, c.word, c.changed_by, c.changed_by_name) for c in changes] == [
        (pb.LexiconChange.CHANGE_DELETED, "整没了", "staff-yc", "刘管理"),
        (pb.LexiconChange.CHANGE_CREATED, "整没了", "staff-yc", "刘管理"),
        (pb.LexiconChange.CHANGE_HIDDEN, "户口本", "staff-yc", "刘管理"),
        (pb.LexiconChange.CHANGE_CREATED, "小孩上学", "staff-yc", "刘管理"),
    ]
    assert not changes[3].HasField("before") and list(changes[3].after.terms) == ["入学"]
    assert not changes[2].HasField("before") and changes[2].after.removed
    assert changes[2].changed_at.ToSeconds() >= changes[3].changed_at.ToSeconds() > 0

    # Replacing and then deleting the site's own word: audited with before and after; the word goes.
    replaced = await search.PutLexiconEntry(put("小孩上学", ["入学", "义务教育"], revision=1), metadata=ADMIN)
    assert replaced.revision == 2
    await search.DeleteLexiconEntry(delete("小孩上学"), metadata=ADMIN)
    assert await _hits(search, COUNTY, "小孩上学") == []
    changes = await search.ListLexiconChanges(
        pb.LexiconChangesRequest(site_code=COUNTY, page=common_pb2.PageRequest(page=1, page_size=2)),
        metadata=ADMIN,
    )
    assert changes.page.total == 6
    deleted, replaced_change = changes.changes
    assert (deleted.change, list(deleted.before.terms), deleted.HasField("after")) == (
        pb.LexiconChange.CHANGE_DELETED,
        ["入学", "义务教育"],
        False,
    )
    assert (list(replaced_change.before.terms), list(replaced_change.after.terms)) == (
        ["入学"],
        ["入学", "义务教育"],
    )


async def test_only_the_sites_administrators_may_read_or_change_its_lexicon(lex: Stack) -> None:
    search = lex.search
    for who in (PERSON, WUHAN, CLERK, ()):
        for call in (
            search.PutLexiconEntry(put("小孩上学", ["入学"]), metadata=who),
            search.DeleteLexiconEntry(delete("户口本"), metadata=who),
            search.ListLexicon(pb.LexiconListRequest(site_code=COUNTY), metadata=who),
            search.ListLexiconChanges(pb.LexiconChangesRequest(site_code=COUNTY), metadata=who),
        ):
            assert await error_code(call) == (grpc.StatusCode.PERMISSION_DENIED, "FORBIDDEN")
    assert await error_code(
        search.PutLexiconEntry(put("小孩上学", ["入学"], site="999999"), metadata=ADMIN)
    ) == (
        grpc.StatusCode.NOT_FOUND,
        "SITE_NOT_FOUND",
    )
    assert await error_code(search.DeleteLexiconEntry(delete("没有这个词"), metadata=ADMIN)) == (
        grpc.StatusCode.NOT_FOUND,
        "LEXICON_WORD_NOT_FOUND",
    )
    # Nothing changed.
    assert (
        await search.ListLexiconChanges(pb.LexiconChangesRequest(site_code=COUNTY), metadata=ADMIN)
    ).page.total == 0


BAD_PUTS = [
    (put("", ["入学"]), "word", "LEXICON_WORD_INVALID"),
    (put("小" * 21, ["入学"]), "word", "LEXICON_WORD_INVALID"),
    (put("小孩上学", []), "terms", "LEXICON_TERMS_INVALID"),
    (put("小孩上学", ["入学"] + [f"词{i}" for i in range(10)]), "terms", "LEXICON_TERMS_INVALID"),
    (put("小孩上学", ["入学", " "]), "terms", "LEXICON_TERMS_INVALID"),
    (put("小孩上学", ["入学", "入学"]), "terms", "LEXICON_TERMS_INVALID"),
    (put("小孩上学", ["学" * 31]), "terms", "LEXICON_TERMS_INVALID"),
    (put("小孩上学", ["入学"], kind=0), "kind", "LEXICON_KIND_INVALID"),
    (put("小孩上学", ["入学"], kind=9), "kind", "LEXICON_KIND_INVALID"),
]


async def test_bad_entries_are_refused_naming_the_field(lex: Stack) -> None:
    for request, field, code in BAD_PUTS:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await lex.search.PutLexiconEntry(request, metadata=YICHANG)
        error = domain_error(caught.value)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (error.code, [f.field for f in error.fields]) == (code, [field]), request
        assert error.fields[0].message_zh
    assert (
        await lex.search.ListLexiconChanges(pb.LexiconChangesRequest(site_code=COUNTY), metadata=ADMIN)
    ).page.total == 0


async def test_a_stale_revision_is_refused_and_a_repeated_put_changes_nothing(lex: Stack) -> None:
    search = lex.search
    await search.PutLexiconEntry(put("丢了", ["补领"], kind=INTENT), metadata=YICHANG)
    # The same word written in traditional characters and full width: the same entry, unchanged.
    again = await search.PutLexiconEntry(put("丟了", ["补领 "], kind=INTENT), metadata=YICHANG)
    assert (again.word, list(again.terms), again.revision) == ("丢了", ["补领"], 1)
    await search.PutLexiconEntry(put("丢了", ["补领", "补办"], kind=INTENT, revision=1), metadata=YICHANG)
    assert await error_code(
        search.PutLexiconEntry(put("丢了", ["挂失"], kind=INTENT, revision=1), metadata=YICHANG)
    ) == (grpc.StatusCode.FAILED_PRECONDITION, "LEXICON_REVISION_CHANGED")
    total = (
        await search.ListLexiconChanges(pb.LexiconChangesRequest(site_code=COUNTY), metadata=ADMIN)
    ).page.total
    assert total == 2


async def test_concurrent_puts_of_one_word_leave_one_row(lex: Stack) -> None:
    async def one(i: int) -> pb.LexiconEntry:
        return await lex.search.PutLexiconEntry(put("小孩上学", ["入学"]), metadata=YICHANG)

    done, failed = outcomes(await concurrently(6, one))
    assert failed == [] and {e.revision for e in done} == {1}
    assert (await entries(lex))[f"{SYNONYM}:小孩上学"].revision == 1
    changes = await lex.search.ListLexiconChanges(pb.LexiconChangesRequest(site_code=COUNTY), metadata=ADMIN)
    assert [c.change for c in changes.changes] == [pb.LexiconChange.CHANGE_CREATED]

    # Different terms at once: one row, each put either replaced it or was refused as stale.
    async def other(i: int) -> pb.LexiconEntry:
        return await lex.search.PutLexiconEntry(put("小孩读书", [f"入学{i}"]), metadata=YICHANG)

    done, failed = outcomes(await concurrently(4, other))
    assert all(
        isinstance(f, grpc.aio.AioRpcError) and f.code() == grpc.StatusCode.FAILED_PRECONDITION
        for f in failed
    )
    row = (await entries(lex))[f"{SYNONYM}:小孩读书"]
    assert row.revision == len(done) and list(row.terms) in [list(e.terms) for e in done]


async def test_another_replica_sees_a_change_after_its_refresh_interval(lex: Stack) -> None:
    now = [100.0]
    replica = SiteLexicons(Database(lex.db_url), refresh_seconds=3.0, clock=lambda: now[0])
    try:
        before = await replica.for_site(COUNTY)
        assert "小孩上学" not in before.synonyms
        await lex.search.PutLexiconEntry(put("小孩上学", ["入学"]), metadata=YICHANG)
        now[0] += 2.9  # within the interval: the cached lexicon, no database read
        assert await replica.for_site(COUNTY) is before
        now[0] += 0.2
        assert (await replica.for_site(COUNTY)).synonyms["小孩上学"] == ("入学",)
        # Unchanged since: the same object (only the version was read).
        now[0] += 5
        again = await replica.for_site(COUNTY)
        now[0] += 5
        assert await replica.for_site(COUNTY) is again
        assert (await replica.for_site(OTHER_CITY)).version == replica.base().version
    finally:
        await replica._db.close()
