"""A site's blank forms and samples through the gateway: an administrator of the site uploads one
(a real PDF; the same content twice is one file), anyone downloads it by the path answered, as
the checked type with the real name and for caching forever; a file of another type, one too
large, an uploader who does not administer the site and a hash that is not one are problems
naming the field or the refusal, never a 500."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import httpx

from govhall.kit.testing import ONE_PAGE_PDF

from .conftest import AUTH, Stack
from .test_api import assert_problem, seed
from .test_catalogue_admin_routes import staff_token
from .test_identity_routes import bearer, person

SITE = "420502"
UPLOAD = f"/api/v1/admin/sites/{SITE}/files"
NAME = "食品经营许可申请书（空白）.pdf"
SHA = hashlib.sha256(ONE_PAGE_PDF).hexdigest()


def problem_json(r: httpx.Response, status: int) -> Any:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in r.text
    return r.json()


async def test_an_admin_uploads_a_form_and_anyone_downloads_it(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    r = await c.post(UPLOAD, files={"file": (NAME, ONE_PAGE_PDF)}, headers=AUTH)
    assert r.status_code == 201, r.text
    stored = r.json()
    path = f"/api/v1/sites/{SITE}/files/{SHA}"
    assert stored["site_code"] == SITE and stored["sha256"] == SHA and stored["path"] == path
    assert (stored["media_type"], stored["size"], stored["file_name"]) == (
        "application/pdf",
        len(ONE_PAGE_PDF),
        NAME,
    )
    assert stored["uploaded_at"] and stored["uploaded_at"].endswith("+08:00")
    assert set(stored) == {"site_code", "sha256", "file_name", "media_type", "size", "path", "uploaded_at"}

    # Anyone, without a token: the bytes, as the checked type, named, and cacheable for good.
    r = await c.get(path)
    assert r.status_code == 200, r.text
    assert r.content == ONE_PAGE_PDF
    assert r.headers["content-type"] == "application/pdf"
    assert f"filename*=UTF-8''{quote(NAME, safe='')}" in r.headers["content-disposition"]
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "public, max-age=86400, immutable"

    # The same content again (under another name) is the same file.
    r = await c.post(UPLOAD, files={"file": ("样表.pdf", ONE_PAGE_PDF)}, headers=AUTH)
    assert r.status_code == 201, r.text
    assert (r.json()["sha256"], r.json()["path"]) == (SHA, path)

    # A staff site admin of 宜昌市 administers its county too.
    yichang = await staff_token(c, "files_yc_admin", "420500", "13900000011")
    other = bytes(ONE_PAGE_PDF).replace(b"% govhall", b"% govhall sample")
    r = await c.post(UPLOAD, files={"file": ("示例样表.pdf", other)}, headers=yichang)
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(other).hexdigest()
    assert (await c.get(r.json()["path"])).content == other


async def test_a_file_of_another_type_or_too_large_is_refused(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    text = "这不是 PDF，只是一段文字。".encode()
    bad = problem_json(await c.post(UPLOAD, files={"file": ("申请书.pdf", text)}, headers=AUTH), 400)
    assert bad["code"] == "FILE_TYPE_NOT_ACCEPTED", bad
    assert [e["field"] for e in bad["errors"]] == ["content"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in bad["detail_zh"] + bad["errors"][0]["message_zh"])

    empty = problem_json(await c.post(UPLOAD, files={"file": ("空.pdf", b"")}, headers=AUTH), 400)
    assert empty["code"] == "FILE_EMPTY"

    # A body past the limit is refused before it is read (413); a file just over it, whoever
    # finds it (the gateway reading it or the catalogue), is FILE_TOO_LARGE too.
    big = ONE_PAGE_PDF + b"0" * (11 << 20)
    r = await c.post(UPLOAD, files={"file": ("big.pdf", big)}, headers=AUTH)
    assert problem_json(r, 413)["code"] == "FILE_TOO_LARGE"
    just_over = ONE_PAGE_PDF + b"0" * ((10 << 20) + 1 - len(ONE_PAGE_PDF))
    r = await c.post(UPLOAD, files={"file": ("over.pdf", just_over)}, headers=AUTH)
    assert r.status_code in (400, 413) and problem_json(r, r.status_code)["code"] == "FILE_TOO_LARGE"

    # No file at all is the field missing.
    missing = problem_json(await c.post(UPLOAD, data={"x": "1"}, headers=AUTH), 400)
    assert [e["field"] for e in missing["errors"]] == ["file"]


async def test_only_an_administrator_of_the_site_uploads(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    xiangyang = {"name": "襄阳市", "level": "city", "parent_code": "420000"}
    assert (await c.put("/api/v1/admin/sites/420600", json=xiangyang, headers=AUTH)).status_code == 200
    other_site = await staff_token(c, "files_xy_admin", "420600", "13900000012")
    citizen = bearer((await person(stack, "13812349011"))["access_token"])
    pdf = {"file": (NAME, ONE_PAGE_PDF)}

    assert_problem(await c.post(UPLOAD, files=pdf), 401, "UNAUTHENTICATED")
    assert_problem(await c.post(UPLOAD, files=pdf, headers=citizen), 403, "FORBIDDEN")
    problem_json(await c.post(UPLOAD, files=pdf, headers=other_site), 403)
    # Nothing was stored by the refused uploads.
    problem_json(await c.get(f"/api/v1/sites/{SITE}/files/{SHA}"), 404)
    # The admin of 襄阳市 uploads to its own site.
    r = await c.post("/api/v1/admin/sites/420600/files", files=pdf, headers=other_site)
    assert r.status_code == 201, r.text
    # A file is its site's: the same content is not found under another site it was not uploaded to.
    problem_json(await c.get(f"/api/v1/sites/{SITE}/files/{SHA}"), 404)
    problem_json(await c.post("/api/v1/admin/sites/42050x/files", files=pdf, headers=AUTH), 400)


# Not a hash: too short, upper case, too long, not hex, a way out of the folder, a newline after.
NOT_HASHES = [
    SHA[:63],
    SHA.upper(),
    SHA + "0",
    "g" * 64,
    "../x",
    "..%2Fx",
    f"{SHA}%0A",
    f"%2E%2E%2F{SHA[:58]}",
]


async def test_a_hash_that_is_not_one_is_refused_before_the_catalogue(stack: Stack) -> None:
    for sha in NOT_HASHES:
        r = await stack.client.get(f"/api/v1/sites/{SITE}/files/{sha}")
        assert 400 <= r.status_code < 500, (sha, r.text)
        assert r.headers["content-type"] == "application/problem+json", sha
        if r.status_code == 400:
            assert [e["field"] for e in r.json()["errors"]] == ["path.sha256"], sha


async def test_an_unknown_file_or_site_is_404(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    absent = assert_problem(await c.get(f"/api/v1/sites/{SITE}/files/{'0' * 64}"), 404, "FILE_NOT_FOUND")
    assert absent["detail_zh"]
    problem_json(await c.get(f"/api/v1/sites/999999/files/{SHA}"), 404)
