"""Loading a seed (see `govhall.catalogue.seed`) through the catalogue's gRPC API.

`load_seed` is idempotent: it upserts sites and departments, creates the matters and articles
that do not exist yet and publishes those that are not published yet. It never overwrites a
matter or article an administrator has since edited (so a second load opens no new version),
but it publishes again one that has been withdrawn.

A material's blank form or sample that the seed names by a relative path (``demo/templates/...``:
the seed ships no files) is made by `formpdf` and uploaded to the seed's top site, and the
material links it by the path the upload answers; an address (https://..., /...) is kept as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import grpc

from govhall.catalogue.formpdf import form_pdf
from govhall.catalogue.seed import Article, Seed
from govhall.kit.trust import Signer
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

_TIMEOUT = 10


async def load_seed(
    seed: Seed,
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    metadata: Sequence[tuple[str, str | bytes]],
    *,
    now: datetime | None = None,
) -> int:
    """Load a seed through the catalogue's gRPC API; safe to run again.

    `metadata` must carry a caller allowed to administer the sites (a platform admin).
    Returns how many of the seed's matters are published afterwards (newly or already).
    """
    for site in sorted(seed.sites, key=lambda s: s.level):  # parents first
        await stub.UpsertSite(
            pb.UpsertSiteRequest(
                code=site.code, name=site.name, level=site.level, parent_code=site.parent_code
            ),
            metadata=metadata,
            timeout=_TIMEOUT,
        )
    for dept in seed.departments:
        await stub.UpsertDepartment(
            pb.UpsertDepartmentRequest(code=dept.code, site_code=dept.site_code, name=dept.name),
            metadata=metadata,
            timeout=_TIMEOUT,
        )
    requests = await _with_uploaded_files(seed, stub, metadata)
    for request in requests:
        try:
            await stub.CreateMatter(request, metadata=metadata, timeout=_TIMEOUT)
        except grpc.aio.AioRpcError as err:
            # It exists: leave it as it is, whatever an administrator has made of it since.
            if err.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
    published = 0
    for request in requests:
        try:
            await stub.PublishMatter(
                pb.ChangeMatterStatusRequest(code=request.code, site_code=request.site_code),
                metadata=metadata,
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            # Publishing is allowed from draft or withdrawn, so this means it is published already.
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
        published += 1
    await _load_articles(seed.articles, stub, metadata, now or datetime.now(UTC))
    return published


def _is_address(reference: str) -> bool:
    return reference.startswith(("/", "http://", "https://"))


async def _with_uploaded_files(
    seed: Seed,
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    metadata: Sequence[tuple[str, str | bytes]],
) -> list[pb.CreateMatterRequest]:
    """The seed's CreateMatter requests (new messages on every call: linking them changes no
    seed), their materials' named files uploaded and linked."""
    requests = seed.matter_requests()
    materials = [m for r in requests for m in r.draft.materials]
    named = {
        ref for m in materials for ref in (m.template_file, m.sample_file) if ref and not _is_address(ref)
    }
    if not named:
        return requests
    top = min(seed.sites, key=lambda s: s.level).code
    paths = {}
    for reference in sorted(named):
        file_name, content = form_pdf(reference)
        uploaded = await stub.UploadMaterialFile(
            pb.UploadMaterialFileRequest(site_code=top, file_name=file_name, content=content),
            metadata=metadata,
            timeout=_TIMEOUT,
        )
        paths[reference] = uploaded.path
    for m in materials:
        m.template_file = paths.get(m.template_file, m.template_file)
        m.sample_file = paths.get(m.sample_file, m.sample_file)
    return requests


async def _load_articles(
    articles: Sequence[Article],
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    metadata: Sequence[tuple[str, str | bytes]],
    now: datetime,
) -> None:
    for article in articles:
        try:
            await stub.GetArticle(
                pb.GetArticleRequest(site_code=article.site_code, id=article.id, include_unpublished=True),
                metadata=metadata,
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
            # Saving with an id that does not exist yet creates the article under that id.
            await stub.SaveArticle(article.save_request(now), metadata=metadata, timeout=_TIMEOUT)
        try:
            await stub.PublishArticle(
                pb.ChangeArticleStatusRequest(site_code=article.site_code, id=article.id),
                metadata=metadata,
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:  # published already
                raise


async def load_seed_into(seed: Seed, address: str, signer: Signer | None = None) -> int:
    """Load a seed into the catalogue at address, as a platform administrator working with the
    operators' key (``signer``; by default the one the platform settings name)."""
    from govhall.kit.caller import caller_metadata
    from govhall.kit.grpcclient import channel, operator_caller, operator_signer

    ch = channel(address, signer=signer or operator_signer(), audience="catalogue")
    try:
        return await load_seed(
            seed, catalogue_pb2_grpc.CatalogueServiceStub(ch), caller_metadata(operator_caller("seed loader"))
        )
    finally:
        await ch.close()
