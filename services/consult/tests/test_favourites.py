"""我的收藏 through consult's gRPC, with the real catalogue behind it (SQLite and PostgreSQL)."""

from __future__ import annotations

from govhall.kit.caller import caller_metadata
from govhall.kit.errors import ErrorKind
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.consult.v1 import favourites_pb2 as pb

from .conftest import ADMIN, ANONYMOUS, COUNTY, MATTER, OTHER_MATTER, World, draft, enterprise, person, staff


def put(code: str, site: str = COUNTY) -> pb.PutFavouriteRequest:
    return pb.PutFavouriteRequest(site_code=site, matter_code=code)


async def listed(world: World, who: object) -> list[tuple[str, str, int]]:
    reply = await world.call(world.favourites, "ListFavourites", pb.ListFavouritesRequest(), who)
    return [(f.matter_code, f.matter_name, f.state) for f in reply.favourites]


async def test_a_kept_matter_is_listed_with_its_current_name_newest_first(world: World) -> None:
    me = person()
    kept = await world.call(world.favourites, "PutFavourite", put(MATTER), me)
    assert (kept.matter_name, kept.site_name, kept.state) == (
        "食品经营许可",
        "西陵区",
        pb.FAVOURITE_STATE_AVAILABLE,
    )
    await world.call(world.favourites, "PutFavourite", put(OTHER_MATTER), me)
    # Keeping it again changes nothing: still two, in the order first kept.
    again = await world.call(world.favourites, "PutFavourite", put(MATTER), me)
    assert again.created_at == kept.created_at
    assert await listed(world, me) == [
        (OTHER_MATTER, "药品零售许可", pb.FAVOURITE_STATE_AVAILABLE),
        (MATTER, "食品经营许可", pb.FAVOURITE_STATE_AVAILABLE),
    ]
    reply = await world.call(world.favourites, "ListFavourites", pb.ListFavouritesRequest(), me)
    assert reply.page.total == 2


async def test_a_withdrawn_matter_shows_as_withdrawn_and_can_be_removed(world: World) -> None:
    me = person()
    await world.call(world.favourites, "PutFavourite", put(MATTER), me)
    await world.catalogue.WithdrawMatter(
        cat.ChangeMatterStatusRequest(code=MATTER, site_code=COUNTY), metadata=caller_metadata(ADMIN)
    )
    assert await listed(world, me) == [(MATTER, "食品经营许可", pb.FAVOURITE_STATE_WITHDRAWN)]
    # A withdrawn matter cannot be newly kept.
    err = await world.fails(world.favourites, "PutFavourite", put(MATTER), person(2))
    assert (err.code, err.kind) == ("MATTER_NOT_FOUND", ErrorKind.NOT_FOUND)
    removed = await world.call(
        world.favourites,
        "DeleteFavourite",
        pb.DeleteFavouriteRequest(site_code=COUNTY, matter_code=MATTER),
        me,
    )
    assert removed.removed
    assert await listed(world, me) == []
    again = await world.call(
        world.favourites,
        "DeleteFavourite",
        pb.DeleteFavouriteRequest(site_code=COUNTY, matter_code=MATTER),
        me,
    )
    assert not again.removed


async def test_each_owner_sees_only_their_own(world: World) -> None:
    await world.call(world.favourites, "PutFavourite", put(MATTER), person(1))
    await world.call(world.favourites, "PutFavourite", put(OTHER_MATTER), enterprise(1))
    assert [c for c, _, _ in await listed(world, person(1))] == [MATTER]
    assert [c for c, _, _ in await listed(world, enterprise(1))] == [OTHER_MATTER]
    assert await listed(world, person(2)) == []
    # Removing another's favourite removes nothing of theirs.
    await world.call(
        world.favourites,
        "DeleteFavourite",
        pb.DeleteFavouriteRequest(site_code=COUNTY, matter_code=MATTER),
        person(2),
    )
    assert [c for c, _, _ in await listed(world, person(1))] == [MATTER]


async def test_only_signed_in_people_and_enterprises_keep_favourites(world: World) -> None:
    err = await world.fails(world.favourites, "ListFavourites", pb.ListFavouritesRequest(), ANONYMOUS)
    assert (err.code, err.kind) == ("SIGN_IN_REQUIRED", ErrorKind.UNAUTHENTICATED)
    for who in (staff(["window_clerk"]), ADMIN):
        err = await world.fails(world.favourites, "PutFavourite", put(MATTER), who)
        assert (err.code, err.kind) == ("OWNER_ONLY", ErrorKind.FORBIDDEN)


async def test_bad_codes_unknown_matters_and_a_full_list_are_clear_errors(world: World) -> None:
    me = person()
    for request, field in (
        (put(MATTER, site="42"), "site_code"),
        (put("bad code!"), "matter_code"),
        (put(""), "matter_code"),
    ):
        err = await world.fails(world.favourites, "PutFavourite", request, me)
        assert err.kind is ErrorKind.INVALID and [f.field for f in err.fields] == [field]
        assert err.message_zh
    err = await world.fails(world.favourites, "PutFavourite", put("420502-NOPE-9999"), me)
    assert (err.code, err.kind) == ("MATTER_NOT_FOUND", ErrorKind.NOT_FOUND)
    err = await world.fails(
        world.favourites,
        "ListFavourites",
        pb.ListFavouritesRequest(page={"page": 1, "page_size": 1000}),
        me,
    )
    assert [f.field for f in err.fields] == ["page_size"]
    # The world keeps at most three per owner.
    for n in range(3):
        code = f"420502-SCJG-01{n}"
        await world.catalogue.CreateMatter(
            cat.CreateMatterRequest(
                code=code,
                site_code=COUNTY,
                draft=draft(f"事项{n}"),
            ),
            metadata=caller_metadata(ADMIN),
        )
        await world.catalogue.PublishMatter(
            cat.ChangeMatterStatusRequest(code=code, site_code=COUNTY), metadata=caller_metadata(ADMIN)
        )
        await world.call(world.favourites, "PutFavourite", put(code), me)
    err = await world.fails(world.favourites, "PutFavourite", put(MATTER), me)
    assert (err.code, err.kind) == ("FAVOURITES_FULL", ErrorKind.WRONG_STATE)
