"""Blank forms and samples: a site's administrator uploads one, checked by content; anyone fetches
it by the path the upload answers; the same content twice is one file, even uploaded at once."""

from __future__ import annotations

import hashlib

from govhall.catalogue.formpdf import form_pdf
from govhall.kit.races import concurrently
from govhall.kit.testing import ONE_PAGE_PDF
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

from .conftest import ADMIN, ANONYMOUS, CITIZEN, CLERK, WUHAN_ADMIN, XILING_ADMIN, YICHANG_ADMIN, Catalogue

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(site: str, name: str, content: bytes) -> pb.UploadMaterialFileRequest:
    return pb.UploadMaterialFileRequest(site_code=site, file_name=name, content=content)


def _get(site: str, sha256: str) -> pb.GetMaterialFileRequest:
    return pb.GetMaterialFileRequest(site_code=site, sha256=sha256)


async def test_an_administrator_uploads_and_anyone_downloads(catalogue: Catalogue) -> None:
    name, content = form_pdf("demo/templates/临时救助申请书（空白表格）.docx")
    # The name's extension is what the content is, and its folders are dropped.
    uploaded = await catalogue.call(
        "UploadMaterialFile", _upload("420502", f"表格/{name[:-4]}.docx", content)
    )
    digest = hashlib.sha256(content).hexdigest()
    assert (uploaded.site_code, uploaded.sha256, uploaded.size) == ("420502", digest, len(content))
    assert uploaded.file_name == "临时救助申请书（空白表格）.pdf" and uploaded.media_type == "application/pdf"
    assert uploaded.path == f"/api/v1/sites/420502/files/{digest}" and uploaded.uploaded_at.seconds > 0

    for who in (ANONYMOUS, CITIZEN, CLERK):
        got = await catalogue.call("GetMaterialFile", _get("420502", digest), who)
        assert got.content == content and got.file == uploaded

    # The same content again (by an administrator above the site) is the same file: the first
    # upload's name and time stand.
    again = await catalogue.call(
        "UploadMaterialFile", _upload("420502", "另一个名字.pdf", content), YICHANG_ADMIN
    )
    assert again == uploaded
    # Another site's copy is its own.
    other = await catalogue.call("UploadMaterialFile", _upload("420100", "武汉.pdf", content), WUHAN_ADMIN)
    assert other.path == f"/api/v1/sites/420100/files/{digest}" and other.file_name == "武汉.pdf"
    # A PNG is served as one.
    image = await catalogue.call("UploadMaterialFile", _upload("420502", "示例.jpg", PNG), XILING_ADMIN)
    assert (image.media_type, image.file_name) == ("image/png", "示例.png")


async def test_what_is_refused(catalogue: Catalogue) -> None:
    for content, code in (
        (b"", "FILE_EMPTY"),
        (b"hello, world", "FILE_TYPE_NOT_ACCEPTED"),
        (b"PK\x03\x04" + b"\x00" * 40, "FILE_TYPE_NOT_ACCEPTED"),  # a .docx is a ZIP, not a form we serve
        (b"%PDF-1.4\nnot really", "FILE_UNREADABLE"),
        (ONE_PAGE_PDF + b"\x00" * (10 * 1024 * 1024), "FILE_TOO_LARGE"),
    ):
        err = await catalogue.error("UploadMaterialFile", _upload("420502", "表.pdf", content))
        assert err.code == code and err.kind.http_status == 400, (code, err.code)
        assert [f.field for f in err.fields] == ["content"] and err.message_zh
    # Only an administrator of the site or a site above it uploads.
    for who in (ANONYMOUS, CITIZEN, CLERK, WUHAN_ADMIN):
        err = await catalogue.error("UploadMaterialFile", _upload("420502", "表.pdf", ONE_PAGE_PDF), who)
        assert err.code == "FORBIDDEN", who
    err = await catalogue.error("UploadMaterialFile", _upload("420000", "表.pdf", ONE_PAGE_PDF), XILING_ADMIN)
    assert err.code == "FORBIDDEN"
    err = await catalogue.error("UploadMaterialFile", _upload("999999", "表.pdf", ONE_PAGE_PDF))
    assert err.code == "SITE_NOT_FOUND"
    # Nothing refused was stored.
    digest = hashlib.sha256(ONE_PAGE_PDF).hexdigest()
    assert (
        await catalogue.error("GetMaterialFile", _get("420502", digest), ANONYMOUS)
    ).code == "FILE_NOT_FOUND"


async def test_fetching_what_is_not_there(catalogue: Catalogue) -> None:
    uploaded = await catalogue.call("UploadMaterialFile", _upload("420502", "表.pdf", ONE_PAGE_PDF))
    # Under another site's code, even the province above it, the file is not there.
    for site in ("420000", "420100"):
        err = await catalogue.error("GetMaterialFile", _get(site, uploaded.sha256), ANONYMOUS)
        assert err.code == "FILE_NOT_FOUND" and err.kind.http_status == 404
    for bad in ("", "0" * 63, uploaded.sha256.upper(), "../" + uploaded.sha256[3:], uploaded.sha256 + "\n"):
        err = await catalogue.error("GetMaterialFile", _get("420502", bad), ANONYMOUS)
        assert err.code == "FILE_ID_INVALID" and [f.field for f in err.fields] == ["sha256"], bad
    err = await catalogue.error("GetMaterialFile", _get("999999", uploaded.sha256), ANONYMOUS)
    assert err.code == "SITE_NOT_FOUND"


async def test_the_same_form_uploaded_at_once_is_one_file(catalogue: Catalogue) -> None:
    _, content = form_pdf("demo/templates/授权委托书（空白表格）.docx")

    async def upload(i: int) -> pb.MaterialFile:
        return await catalogue.call("UploadMaterialFile", _upload("420502", f"委托书{i}.pdf", content), ADMIN)  # type: ignore[no-any-return]

    results = await concurrently(6, upload)
    assert all(isinstance(r, pb.MaterialFile) for r in results), results
    assert len({(r.sha256, r.file_name, r.uploaded_at.ToNanoseconds()) for r in results}) == 1  # type: ignore[union-attr]
