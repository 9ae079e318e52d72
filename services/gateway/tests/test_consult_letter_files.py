"""Letter attachments through the gateway: multipart uploads by the signed-in writer and by an
anonymous one with number and password, downloads by the writer and the letter's staff only, and
a bad file, a fourth file and a too large one as problems naming the field."""

from __future__ import annotations

from .conftest import Stack
from .test_cases_routes import DEPT, OTHER_DEPT, SITE, seed, staff
from .test_consult_letters import anonymous_complaint
from .test_identity_routes import assert_problem, bearer, person


def png(n: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + f"photo {n}".encode() * 40


async def test_the_writer_attaches_files_and_the_letters_staff_download_them(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13912340121", "周附件"))["access_token"])
    someone = bearer((await person(stack, "13912340122", "吴旁人"))["access_token"])
    body = {
        "site_code": SITE,
        "kind": "consultation",
        "department_code": DEPT,
        "title": "附件",
        "content": "见附件",
    }
    r = await c.post("/api/v1/consultations", json=body, headers=me)
    assert r.status_code == 201, r.text
    letter_id = r.json()["letter"]["id"]
    path = f"/api/v1/consultations/{letter_id}/attachments"
    for n, name in enumerate(("现场照片.pdf", "b.png", "c.png")):
        r = await c.post(path, files={"file": (name, png(n))}, headers=me)
        assert r.status_code == 200, r.text
    shown = r.json()["attachments"]
    assert [(a["file_name"], a["media_type"], int(a["size"])) for a in shown] == [
        ("现场照片.png", "image/png", len(png(0))),
        ("b.png", "image/png", len(png(1))),
        ("c.png", "image/png", len(png(2))),
    ]
    fourth = assert_problem(
        await c.post(path, files={"file": ("d.png", png(3))}, headers=me), 400, "ATTACHMENTS_TOO_MANY"
    )
    assert [e["field"] for e in fourth["errors"]] == ["attachments"]
    assert_problem(
        await c.post(path, files={"file": ("x.png", png(4))}, headers=someone), 404, "LETTER_NOT_FOUND"
    )
    assert_problem(await c.post(path, files={"file": ("x.png", png(4))}), 401, "UNAUTHENTICATED")

    first = f"{path}/{shown[0]['id']}"
    clerk = await staff(c, "files_clerk", "window_clerk")
    other = await staff(c, "files_other", "window_clerk", dept=OTHER_DEPT)
    for who in (me, clerk):
        r = await c.get(first, headers=who)
        assert r.status_code == 200 and r.content == png(0), r.text
        assert r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"
        assert "filename*=UTF-8''%E7%8E%B0" in r.headers["content-disposition"]
    for who in (someone, other):
        assert_problem(await c.get(first, headers=who), 404, "LETTER_NOT_FOUND")
    assert_problem(await c.get(f"{path}/no-such-file", headers=me), 404, "ATTACHMENT_NOT_FOUND")


async def test_a_bad_or_too_large_file_is_a_problem_naming_the_field(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13912340123", "郑坏文件"))["access_token"])
    body = {"site_code": SITE, "kind": "suggestion", "title": "建议", "content": "内容"}
    letter_id = (await c.post("/api/v1/consultations", json=body, headers=me)).json()["letter"]["id"]
    path = f"/api/v1/consultations/{letter_id}/attachments"
    exe = b"MZ\x90\x00\x03" + b"\x00" * 100
    bad = assert_problem(
        await c.post(path, files={"file": ("证明.pdf", exe)}, headers=me), 400, "FILE_TYPE_NOT_ACCEPTED"
    )
    assert [e["field"] for e in bad["errors"]] == ["content"]
    big = png(0) + b"0" * (10 << 20)
    r = await c.post(path, files={"file": ("big.png", big)}, headers=me)
    assert r.status_code in (400, 413) and r.json()["code"] == "FILE_TOO_LARGE", r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (await c.get(f"/api/v1/consultations/{letter_id}", headers=me)).json()["attachments"] == []


async def test_an_anonymous_writer_attaches_and_downloads_by_number_and_password(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    written = await anonymous_complaint(stack, "13912340124")
    form = {"letter_number": written["letter"]["letter_number"], "query_password": written["query_password"]}
    r = await c.post("/api/v1/letters/query/attachments", data=form, files={"file": ("录音.png", png(5))})
    assert r.status_code == 200, r.text
    (attached,) = r.json()["attachments"]
    path = f"/api/v1/letters/query/attachments/{attached['id']}"
    r = await c.post(path, json=form)
    assert r.status_code == 200 and r.content == png(5), r.text
    assert_problem(
        await c.post(path, json={**form, "query_password": "WRONG234"}), 404, "LETTER_QUERY_FAILED"
    )
    r = await c.post(
        "/api/v1/letters/query/attachments",
        data={**form, "query_password": "WRONG234"},
        files={"file": ("x.png", png(6))},
    )
    assert_problem(r, 404, "LETTER_QUERY_FAILED")
    # The letter's staff download it by id like any other.
    clerk = await staff(c, "files_clerk_anon", "window_clerk")
    r = await c.get(
        f"/api/v1/consultations/{written['letter']['id']}/attachments/{attached['id']}", headers=clerk
    )
    assert r.status_code == 200 and r.content == png(5)
