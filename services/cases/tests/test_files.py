"""Uploads are judged by content, named safely, and stored once per content hash."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.files import (
    DEFAULT_ACCEPTED,
    MEDIA_TYPES,
    FileStore,
    Upload,
    check_upload,
    clean_name,
    sniff,
)

from .conftest import pdf_bytes, pdf_of_size

PDF = pdf_bytes()
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 20
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 20
HTML = b"<html><script>alert(1)</script></html>"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A real 1x1 grey PNG: signature, IHDR, IDAT (one filter byte and one pixel), IEND.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    + _png_chunk(b"IEND", b"")
)


def zipped(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<ofd/>")
    return buf.getvalue()


def needs_newer_zip(package: bytes) -> bytes:
    """The package with its central directory claiming a "version needed to extract" zipfile does
    not support, which zipfile reports as NotImplementedError, not BadZipFile."""
    at = package.index(b"PK\x01\x02") + 6
    return package[:at] + struct.pack("<H", 0xFF) + package[at + 2 :]


@pytest.mark.parametrize(
    ("content", "family"),
    [
        (PDF, "pdf"),
        (JPG, "jpg"),
        (PNG, "png"),
        (zipped("OFD.xml", "Doc_0/Document.xml"), "ofd"),
        (zipped("word/document.xml", "[Content_Types].xml"), None),  # a .docx
        (zipped("Doc_0/OFD.xml"), None),  # OFD.xml only counts at the root
        (b"PK\x03\x04 broken zip", None),
        (zipped("OFD.xml")[:-10], None),  # cut short: no end of central directory
        (needs_newer_zip(zipped("OFD.xml")), None),
        (EXE, None),
        (ELF, None),
        (HTML, None),
        (b"%PDF", None),  # not the whole signature
        (b"", None),
    ],
)
def test_sniff_reads_the_content(content: bytes, family: str | None) -> None:
    assert sniff(content) == family


def test_a_png_named_pdf_is_a_png_and_renamed() -> None:
    upload = check_upload("平面图.pdf", PNG, DEFAULT_ACCEPTED, 1024)
    assert upload == Upload(
        family="png",
        media_type="image/png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG).hexdigest(),
        file_name="平面图.png",
    )


def test_a_good_upload_keeps_its_chinese_name() -> None:
    upload = check_upload("营业执照 副本.pdf", PDF, (), 20 * 1024 * 1024)
    assert (upload.family, upload.media_type, upload.file_name) == (
        "pdf",
        MEDIA_TYPES["pdf"],
        "营业执照 副本.pdf",
    )


@pytest.mark.parametrize(
    ("name", "content", "accepted", "code"),
    [
        ("申请书.pdf", EXE, DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("申请书.pdf", ELF, DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("申请书.pdf", HTML, DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("材料.docx", zipped("word/document.xml"), ("pdf", "ofd"), "FILE_TYPE_NOT_ACCEPTED"),
        ("证照.ofd", zipped("OFD.xml"), DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("证照.ofd", zipped("OFD.xml"), (), "FILE_TYPE_NOT_ACCEPTED"),  # empty means the default
        ("照片.jpg", JPG, ("pdf",), "FILE_TYPE_NOT_ACCEPTED"),
        ("空.pdf", b"", DEFAULT_ACCEPTED, "FILE_EMPTY"),
        ("空.pdf", b"", (), "FILE_EMPTY"),
        ("大.exe", EXE * 50_000, DEFAULT_ACCEPTED, "FILE_TOO_LARGE"),  # size is judged before type
    ],
)
def test_refused_uploads(name: str, content: bytes, accepted: tuple[str, ...], code: str) -> None:
    with pytest.raises(DomainError) as info:
        check_upload(name, content, accepted, 1 << 20)
    error = info.value
    assert (error.code, error.kind) == (code, ErrorKind.INVALID)
    assert [f.field for f in error.fields] == ["content"]
    assert error.message and error.message_zh and error.fields[0].message_zh == error.message_zh


def test_the_type_refusal_names_what_the_material_takes() -> None:
    with pytest.raises(DomainError) as info:
        check_upload("申请书.pdf", EXE, (), 1 << 20)
    assert info.value.message_zh == "文件类型不符：本材料只接受 PDF、JPG、PNG 格式"
    assert "PDF, JPG, PNG" in info.value.message
    with pytest.raises(DomainError) as info:
        check_upload("申请书.pdf", PNG, ("PDF", "ofd"), 1 << 20)
    assert info.value.message_zh == "文件类型不符：本材料只接受 PDF、OFD 格式"


def test_the_size_limit_is_inclusive() -> None:
    body = pdf_of_size(1000)
    assert check_upload("a.pdf", body, DEFAULT_ACCEPTED, 1000).size == 1000
    with pytest.raises(DomainError) as info:
        check_upload("a.pdf", body + b"0", DEFAULT_ACCEPTED, 1000)
    assert info.value.code == "FILE_TOO_LARGE"


@pytest.mark.parametrize(
    ("limit", "text"),
    [(20 * 1024 * 1024, "20 MB"), (10 * 1024 * 1024, "10 MB"), (1536 * 1024, "1.5 MB"), (2048, "2 KB")],
)
def test_the_size_refusal_says_the_limit(limit: int, text: str) -> None:
    with pytest.raises(DomainError) as info:
        check_upload("a.pdf", PDF + b"0" * limit, DEFAULT_ACCEPTED, limit)
    assert info.value.message_zh == f"文件过大：单个文件不能超过 {text}"
    assert text in info.value.message


def test_ofd_when_the_material_takes_it() -> None:
    assert (
        check_upload("电子证照.ofd", zipped("OFD.xml"), ("ofd", "pdf"), 1 << 20).media_type
        == "application/ofd"
    )


@pytest.mark.parametrize(
    ("given", "family", "name"),
    [
        ("营业执照 副本.pdf", "pdf", "营业执照 副本.pdf"),
        ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\身份证.JPG", "jpg", "身份证.jpg"),
        ("bad\x00name\n.png", "png", "badname.png"),
        ("申请书\u202efdp.exe", "png", "申请书fdp.png"),  # a right-to-left override is dropped
        ("零\u200b宽.pdf", "pdf", "零宽.pdf"),
        ("半\ud800个.pdf", "pdf", "半个.pdf"),  # a lone surrogate
        ("Cafe\u0301.pdf", "pdf", "Caf\u00e9.pdf"),  # decomposed (as macOS sends it) is composed
        ("说明.tar.gz", "pdf", "说明.tar.pdf"),
        ("无扩展名", "jpg", "无扩展名.jpg"),
        ("", "pdf", "材料.pdf"),
        ("../", "pdf", "材料.pdf"),
        (".pdf", "pdf", "材料.pdf"),
        ("..", "ofd", "材料.ofd"),
        ("a" * 300 + ".pdf", "pdf", "a" * 116 + ".pdf"),
        ("长" * 300 + ".jpeg", "jpg", "长" * 116 + ".jpg"),
    ],
)
def test_names_are_cleaned(given: str, family: str, name: str) -> None:
    assert clean_name(given, family) == name


def test_store_dedups_and_round_trips(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    a = store.put(PDF)
    assert store.put(PDF) == a and store.get(a) == PDF and store.exists(a)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [a]
    assert store.path(a) == tmp_path / a[:2] / a[2:4] / a


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "A" * 64, "0" * 63, "0" * 65, "0" * 64 + "\n", "../" + "0" * 61, "", "g" * 64],
)
def test_store_refuses_paths_that_are_not_hashes(tmp_path: Path, bad: str) -> None:
    store = FileStore(tmp_path / "store")
    (tmp_path / "passwd").write_bytes(b"root:x:0:0")
    for call in (store.get, store.path):
        with pytest.raises(DomainError) as info:
            call(bad)
        assert (info.value.code, info.value.kind) == ("FILE_NOT_FOUND", ErrorKind.NOT_FOUND)
    assert store.exists(bad) is False


def test_an_absent_hash_is_not_found(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = hashlib.sha256(b"never stored").hexdigest()
    assert store.exists(digest) is False
    with pytest.raises(DomainError) as info:
        store.get(digest)
    assert (info.value.code, info.value.kind) == ("FILE_NOT_FOUND", ErrorKind.NOT_FOUND)


def test_a_leftover_temporary_file_is_not_content(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(PNG)
    store.path(digest).unlink()
    (store.path(digest).parent / ".tmp-crashed").write_bytes(PNG[:5])  # a write cut short
    assert not store.exists(digest)
    with pytest.raises(DomainError) as info:
        store.get(digest)
    assert info.value.code == "FILE_NOT_FOUND"
    assert store.put(PNG) == digest and store.get(digest) == PNG


def test_a_write_that_fails_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path)

    def crash(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        store.put(JPG)
    digest = hashlib.sha256(JPG).hexdigest()
    assert not store.exists(digest)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # the temporary file is gone too
    monkeypatch.undo()
    assert store.put(JPG) == digest and store.get(digest) == JPG


def test_a_corrupted_file_is_detected(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(PDF)
    store.path(digest).write_bytes(PDF + b"tampered")
    with pytest.raises(DomainError) as info:
        store.get(digest)
    assert (info.value.code, info.value.kind) == ("FILE_CORRUPT", ErrorKind.INTERNAL)
    assert info.value.message_zh


async def test_async_wrappers(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = await store.aput(JPG)
    assert digest == hashlib.sha256(JPG).hexdigest()
    assert await store.aget(digest) == JPG
    with pytest.raises(DomainError) as info:
        await store.aget("../" * 21 + "x")
    assert info.value.code == "FILE_NOT_FOUND"
