"""我的收藏: matters a user keeps, shown with their current name and state.

Consult keeps only (owner, site, matter code, when): names and states are the catalogue's and
change, so the list asks the catalogue for each kept matter on the page (at most a page's worth
of calls, concurrently). A matter withdrawn since shows as withdrawn, one the catalogue no longer
knows as gone: neither is an error, and the user can still remove it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.consult import access, store
from govhall.consult.access import Owner
from govhall.kit.db import Database
from govhall.kit.dialect import upsert
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import favourites_pb2 as pb


@dataclass
class Favourites:
    db: Database
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    limit: int

    async def put(self, request: pb.PutFavouriteRequest) -> pb.Favourite:
        who = access.owner()
        site = access.site_code(request.site_code)
        code = access.matter_code(request.matter_code)
        # Only a matter the catalogue publishes can be kept (a withdrawn one can stay kept).
        matter = await access.published_matter(self.catalogue, site, code)
        f = store.favourites.c
        mine = sa.and_(f.owner_kind == who.kind, f.owner_subject == who.subject)
        async with self.db.uow() as uow:
            kept = (await uow.conn.execute(sa.select(sa.func.count()).where(mine))).scalar_one()
            exists = (
                await uow.conn.execute(
                    sa.select(f.created_at).where(mine, f.site_code == site, f.matter_code == code)
                )
            ).first()
            if exists is None and kept >= self.limit:
                raise DomainError(
                    "FAVOURITES_FULL",
                    f"at most {self.limit} matters can be kept; remove some first",
                    f"最多收藏{self.limit}个事项，请先取消部分收藏",
                    ErrorKind.WRONG_STATE,
                )
            now = dt.datetime.now(dt.UTC)
            # Keeping it again changes nothing (its time stays the first one).
            await uow.conn.execute(
                upsert(
                    uow,
                    store.favourites,
                    {
                        "owner_kind": who.kind,
                        "owner_subject": who.subject,
                        "site_code": site,
                        "matter_code": code,
                        "created_at": now,
                    },
                    key=["owner_kind", "owner_subject", "site_code", "matter_code"],
                    update={},
                )
            )
            created = exists.created_at if exists is not None else now
            await uow.commit()
        return _favourite(site, code, created, matter)

    async def delete(self, request: pb.DeleteFavouriteRequest) -> pb.DeleteFavouriteResponse:
        who = access.owner()
        site = access.site_code(request.site_code)
        code = access.matter_code(request.matter_code)
        f = store.favourites.c
        async with self.db.uow() as uow:
            result = await uow.conn.execute(
                sa.delete(store.favourites).where(
                    f.owner_kind == who.kind,
                    f.owner_subject == who.subject,
                    f.site_code == site,
                    f.matter_code == code,
                )
            )
            await uow.commit()
        return pb.DeleteFavouriteResponse(removed=bool(result.rowcount))

    async def listing(self, request: pb.ListFavouritesRequest) -> pb.ListFavouritesResponse:
        who = access.owner()
        number, size = access.paging(request.page)
        rows, total = await self._page(who, number, size)
        matters = await asyncio.gather(*(self._matter(r.site_code, r.matter_code) for r in rows))
        return pb.ListFavouritesResponse(
            favourites=[
                _favourite(r.site_code, r.matter_code, r.created_at, m)
                for r, m in zip(rows, matters, strict=True)
            ],
            page=common_pb2.PageInfo(page=number, page_size=size, total=total),
        )

    async def _page(self, who: Owner, number: int, size: int) -> tuple[list[Any], int]:
        f = store.favourites.c
        mine = sa.and_(f.owner_kind == who.kind, f.owner_subject == who.subject)
        async with self.db.reader() as uow:
            total = (await uow.conn.execute(sa.select(sa.func.count()).where(mine))).scalar_one()
            rows = await uow.conn.execute(
                sa.select(store.favourites)
                .where(mine)
                .order_by(f.created_at.desc(), f.site_code, f.matter_code)
                .limit(size)
                .offset((number - 1) * size)
            )
            return list(rows), int(total)

    async def _matter(self, site: str, code: str) -> cat.Matter | None:
        """The matter as the catalogue has it now: the published version, else the newest version
        anyone may read (a withdrawn one); None when the catalogue does not know it."""
        options = call_options(access.SERVICE_CALLER)
        try:
            return await self.catalogue.GetMatter(cat.GetMatterRequest(site_code=site, code=code), **options)
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise domain_error(err) from None
        # Not published now: the newest version that ever was (withdrawn) is still readable.
        try:
            listed = await self.catalogue.ListMatterVersions(
                cat.ListMatterVersionsRequest(site_code=site, code=code), **options
            )
            if not listed.versions:
                return None
            newest = max(v.version for v in listed.versions)
            return await self.catalogue.GetMatter(
                cat.GetMatterRequest(site_code=site, code=code, version=newest), **options
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise domain_error(err) from None


def _favourite(site: str, code: str, created: dt.datetime, matter: cat.Matter | None) -> pb.Favourite:
    out = pb.Favourite(site_code=site, matter_code=code)
    out.created_at.FromDatetime(created if created.tzinfo else created.replace(tzinfo=dt.UTC))
    if matter is None:
        out.state = pb.FAVOURITE_STATE_GONE
        return out
    out.matter_name = matter.draft.name
    out.site_name = matter.site_name
    out.matter_type = matter.draft.type
    out.state = (
        pb.FAVOURITE_STATE_AVAILABLE
        if matter.status == cat.MATTER_STATUS_PUBLISHED
        else pb.FAVOURITE_STATE_WITHDRAWN
    )
    return out
