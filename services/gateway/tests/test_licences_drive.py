"""The cloud drive's routes (政务云盘) through the gateway: folders, a multipart upload streamed to
licences, listing, rename, move, download, delete; someone else's item is a 404 and bad input a
problem naming the field."""

from __future__ import annotations

from .conftest import Stack
from .test_identity_routes import assert_problem, bearer, person

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 3_000_000  # several of the gateway's 1 MiB chunks


async def test_a_person_keeps_folders_and_files_in_their_drive(stack: Stack) -> None:
    c = stack.client
    me = bearer((await person(stack, "13800138101"))["access_token"])
    other = bearer((await person(stack, "13800138102"))["access_token"])

    docs = await c.post("/api/v1/me/drive/folders", json={"name": "证件"}, headers=me)
    assert docs.status_code == 201, docs.text
    docs_id = docs.json()["id"]
    up = await c.post(
        "/api/v1/me/drive/files",
        files={"file": ("身份证.jpg", PNG, "image/jpeg")},
        data={"folder": docs_id},
        headers=me,
    )
    assert up.status_code == 201, up.text
    item = up.json()
    assert (item["name"], item["size"], item["media_type"], item["parent_id"]) == (
        "身份证.png",
        len(PNG),
        "image/png",
        docs_id,
    )

    listed = await c.get(f"/api/v1/me/drive?folder={docs_id}&sort=size&descending=true", headers=me)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [i["id"] for i in body["items"]] == [item["id"]] and [p["name"] for p in body["path"]] == ["证件"]
    assert int(body["usage"]["used_bytes"]) == len(PNG)

    renamed = await c.patch(
        f"/api/v1/me/drive/items/{item['id']}", json={"name": "正面", "parent_id": "root"}, headers=me
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["parent_id"]) == ("正面.png", "")
    into_itself = await c.patch(f"/api/v1/me/drive/items/{docs_id}", json={"parent_id": docs_id}, headers=me)
    assert assert_problem(into_itself, 400, "DRIVE_MOVE_INTO_ITSELF")["errors"][0]["field"] == "parent_id"

    got = await c.get(f"/api/v1/me/drive/files/{item['id']}", headers=me)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png" and "attachment" in got.headers["content-disposition"]

    assert_problem(
        await c.get(f"/api/v1/me/drive/files/{item['id']}", headers=other), 404, "DRIVE_ITEM_NOT_FOUND"
    )
    assert_problem(
        await c.delete(f"/api/v1/me/drive/items/{docs_id}", headers=other), 404, "DRIVE_ITEM_NOT_FOUND"
    )
    assert_problem(await c.get("/api/v1/me/drive"), 401, "UNAUTHENTICATED")
    assert_problem(await c.get("/api/v1/me/drive?sort=colour", headers=me), 400, "REQUEST_INVALID")
    bad = await c.post(
        "/api/v1/me/drive/files", files={"file": ("a.pdf", b"MZ" * 100, "application/pdf")}, headers=me
    )
    assert assert_problem(bad, 400, "FILE_TYPE_NOT_ACCEPTED")["errors"][0]["field"] == "content"

    gone = await c.delete(f"/api/v1/me/drive/items/{docs_id}", headers=me)
    assert gone.status_code == 200 and gone.json() == {"removed": 1, "freed_bytes": 0}
    left = (await c.get("/api/v1/me/drive", headers=me)).json()
    assert [i["name"] for i in left["items"]] == ["正面.png"]
