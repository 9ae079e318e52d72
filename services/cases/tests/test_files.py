"""Uploads are judged by content, named safely, and stored once per content hash."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from govhall.cases.files import DEFAULT_ACCEPTED, FileStore, check_upload, clean_name, sniff
from govhall.kit.errors import DomainError

PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n"
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 20
HTML = b"<html><script>alert(1)</script></html>"


def zipped(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<ofd/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("content", "family"),
    [
        (PDF, "pdf"),
        (JPG, "jpg"),
        (PNG, "png"),
        (zipped("OFD.xml", "Doc_0/Document.xml"), "ofd"),
        (zipped("word/document.xml"), None),
        (b"PK\x03\x04 broken zip", None),
        (EXE, None),
        (HTML, None),
        (b"", None),
    ],
)
def test_sniff_reads_the_content(content: bytes, family: str | None) -> None:
    assert sniff(content) == family


def test_a_png_named_pdf_is_a_png_and_renamed() -> None:
    upload = check_upload("平面图.pdf", PNG, DEFAULT_ACCEPTED, 1024)
    assert (upload.family, upload.media_type, upload.file_name) == ("png", "image/png", "平面图.png")
    assert len(upload.sha256) == 64 and upload.size == len(PNG)


@pytest.mark.parametrize(
    ("name", "content", "accepted", "code"),
    [
        ("申请书.pdf", EXE, DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("申请书.pdf", HTML, DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("证照.ofd", zipped("OFD.xml"), DEFAULT_ACCEPTED, "FILE_TYPE_NOT_ACCEPTED"),
        ("照片.jpg", JPG, ("pdf",), "FILE_TYPE_NOT_ACCEPTED"),
        ("空.pdf", b"", DEFAULT_ACCEPTED, "FILE_EMPTY"),
    ],
)
def test_refused_uploads(name: str, content: bytes, accepted: tuple[str, ...], code: str) -> None:
    with pytest.raises(DomainError) as info:
        check_upload(name, content, accepted, 1 << 20)
    assert info.value.code == code and info.value.fields[0].field == "content"


def test_the_size_limit_is_inclusive() -> None:
    body = PDF + b"0" * (1000 - len(PDF))
    assert check_upload("a.pdf", body, DEFAULT_ACCEPTED, 1000).size == 1000
    with pytest.raises(DomainError) as info:
        check_upload("a.pdf", body + b"0", DEFAULT_ACCEPTED, 1000)
    assert info.value.code == "FILE_TOO_LARGE"


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
        ("", "pdf", "材料.pdf"),
        ("a" * 300 + ".pdf", "pdf", "a" * 116 + ".pdf"),
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


def test_store_refuses_paths_that_are_not_hashes(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        with pytest.raises(DomainError) as info:
            store.get(bad)
        assert info.value.code == "FILE_NOT_FOUND"


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


def test_a_corrupted_file_is_detected(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(PDF)
    store.path(digest).write_bytes(PDF + b"tampered")
    with pytest.raises(DomainError) as info:
        store.get(digest)
    assert info.value.code == "FILE_CORRUPT"


async def test_async_wrappers(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    assert await store.aget(await store.aput(JPG)) == JPG
