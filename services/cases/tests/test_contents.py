"""What is inside an upload: OFD packages within bounds, PDFs that parse and run nothing.

The hostile files are made here by small generators: a deflate bomb (1 MB packing 1 GiB of
zeros), a ZIP of 110,000 entries, PDFs with scripts, actions and embedded files.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Sequence

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from govhall.cases.settings import CasesSettings
from govhall.kit import contents
from govhall.kit.contents import ContentLimits
from govhall.kit.errors import DomainError
from govhall.kit.files import check_upload

from .conftest import pdf_bytes

MiB = 1024 * 1024
BIG = 15 * MiB  # the largest upload the service can be set to take


def zip_of(
    entries: Sequence[tuple[str, bytes, int, int, int]], *, zip64: bool = False, count: int = -1
) -> bytes:
    """A ZIP from (name, packed data, method, crc, unpacked size); ``count`` overrides the entry
    count the end record claims. Written by hand so that 110,000 entries take a fraction of a
    second and sizes can be a deflate bomb's."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, data, method, crc, size in entries:
        raw = name.encode()
        offset = local.tell()
        local.write(
            struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), size, len(raw), 0)
        )
        local.write(raw + data)
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(data),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    start, directory = local.tell(), central.getvalue()
    n = len(entries) if count < 0 else count
    tail = b""
    if zip64:
        record = start + len(directory)
        tail = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(directory), start)
        tail += struct.pack("<4sLQL", b"PK\x06\x07", 0, record, 1)
        n = 0xFFFF
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF), len(directory), start, 0
    )
    return local.getvalue() + directory + tail + end


def stored(name: str, data: bytes = b"") -> tuple[str, bytes, int, int, int]:
    return (name, data, 0, zlib.crc32(data), len(data))


def zeros_bomb(name: str, mib: int) -> tuple[str, bytes, int, int, int]:
    """``mib`` MiB of zeros, deflated: one MiB compressed once and repeated (a full flush makes
    each block stand alone), so a GiB is made in well under a second."""
    chunk = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    data = block * mib + packer.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return (name, data, 8, crc, mib * MiB)


OFD_XML = stored("OFD.xml", b"<ofd:OFD/>")


def refusal(content: bytes, accepted: tuple[str, ...] = ("ofd", "pdf"), **limits: int) -> DomainError:
    with pytest.raises(DomainError) as info:
        check_upload("材料", content, accepted, BIG, ContentLimits(**limits))
    assert [f.field for f in info.value.fields] == ["content"]
    assert info.value.fields[0].message_zh == info.value.message_zh
    return info.value


def test_a_deflate_bomb_as_ofd_is_refused() -> None:
    bomb = zip_of([OFD_XML, zeros_bomb("Doc_0/Res/image.bin", 1024)])
    assert len(bomb) < 2 * MiB
    # The generator makes a real deflate stream: its start inflates to zeros.
    head = zlib.decompressobj(-15).decompress(bomb[bomb.index(b"image.bin") + 9 :], 4096)
    assert head == bytes(4096)
    error = refusal(bomb)
    assert error.code == "FILE_ARCHIVE_TOO_LARGE_UNPACKED"
    assert "256 MB" in error.message_zh
    # Below the total but far beyond the ratio: 64 MiB out of ~64 KB.
    error = refusal(zip_of([OFD_XML, zeros_bomb("Doc_0/Res/image.bin", 64)]))
    assert error.code == "FILE_ARCHIVE_RATIO" and "100 倍" in error.message_zh


def test_the_bounds_are_settings() -> None:
    package = zip_of([OFD_XML, zeros_bomb("Doc_0/a.bin", 2)])
    assert check_upload("a.ofd", package, ("ofd",), BIG, ContentLimits(unpacked_ratio=1000)).family == "ofd"
    assert refusal(package, unpacked_ratio=1000, unpacked_bytes=MiB).code == "FILE_ARCHIVE_TOO_LARGE_UNPACKED"
    package = zip_of([OFD_XML, *(stored(f"Doc_0/{i}.xml", b"<a/>") for i in range(20))])
    assert check_upload("a.ofd", package, ("ofd",), BIG, ContentLimits(archive_entries=21)).family == "ofd"
    assert refusal(package, archive_entries=20).code == "FILE_ARCHIVE_TOO_MANY_ENTRIES"
    limits = CasesSettings(
        upload_max_archive_entries=7,
        upload_max_unpacked_bytes=5 * MiB,
        upload_max_unpacked_ratio=30,
        upload_max_pdf_objects=1000,
    ).content_limits()
    assert limits == ContentLimits(
        archive_entries=7, unpacked_bytes=5 * MiB, unpacked_ratio=30, pdf_objects=1000
    )


@pytest.fixture(scope="module")
def crowded() -> list[tuple[str, bytes, int, int, int]]:
    return [OFD_XML, *(stored(f"Doc_0/Pages/{i:06d}.xml") for i in range(110_000))]


@pytest.mark.parametrize("claimed", [-1, 10], ids=["true count", "end record lies"])
def test_a_package_of_110000_entries_is_refused_without_reading_its_directory(
    crowded: list[tuple[str, bytes, int, int, int]], claimed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = zip_of(crowded, zip64=claimed < 0, count=claimed)
    assert len(package) < BIG

    def no_parsing(*args: object, **kw: object) -> None:
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(contents.zipfile, "ZipFile", no_parsing)
    began = time.perf_counter()
    error = refusal(package)
    elapsed = time.perf_counter() - began
    assert error.code == "FILE_ARCHIVE_TOO_MANY_ENTRIES" and "10000" in error.message_zh
    assert elapsed < 1.0  # generous: the count is read in a few milliseconds


def test_a_zip_is_not_read_for_a_material_that_takes_no_ofd(
    crowded: list[tuple[str, bytes, int, int, int]],
) -> None:
    assert refusal(zip_of(crowded, zip64=True), ("pdf", "jpg")).code == "FILE_TYPE_NOT_ACCEPTED"


JS = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


@pytest.mark.parametrize(
    ("catalog", "page"),
    [
        (b"/OpenAction " + JS, b""),
        (b"/OpenAction << /S /Launch /F (calc.exe) >>", b""),
        (b"/AA << /WC " + JS + b" >>", b""),
        (b"/Names << /JavaScript << /Names [(a) " + JS + b"] >> >>", b""),
        (b"/Names << /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /F (a.exe) >>] >> >>", b""),
        (b"/AcroForm << /Fields [] /XFA [] >>", b""),
        (b"", b"/AA << /O " + JS + b" >>"),
        (b"", b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /SubmitForm /F (x) >> >>]"),
    ],
)
def test_a_pdf_with_active_content_is_refused(catalog: bytes, page: bytes) -> None:
    content = pdf_bytes(catalog=catalog, page=page)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1  # a real PDF, not a broken one
    error = refusal(content)
    assert error.code == "FILE_ACTIVE_CONTENT"
    assert "脚本" in error.message_zh


def test_active_content_behind_indirect_references_is_found() -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    action = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.launchURL('http://example.invalid');"),
            }
        )
    )
    tree = writer._add_object(
        DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("a"), action])})
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    buf = io.BytesIO()
    writer.write(buf)
    assert b"/JavaScript" in buf.getvalue() and b"0 R" in buf.getvalue()
    assert refusal(buf.getvalue()).code == "FILE_ACTIVE_CONTENT"


@pytest.mark.parametrize(
    "catalog",
    [
        b"",
        b"/OpenAction [3 0 R /Fit]",  # open at page 1: harmless
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>",
        b"/PageMode /UseOutlines /Lang (zh-CN)",
    ],
)
def test_a_plain_pdf_is_accepted(catalog: bytes) -> None:
    assert check_upload("申请书.pdf", pdf_bytes(catalog=catalog), ("pdf",), BIG).family == "pdf"
    link = b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://zwfw.hubei.gov.cn) >> >>]"
    assert check_upload("申请书.pdf", pdf_bytes(page=link), ("pdf",), BIG).family == "pdf"


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n" + bytes(range(256)) * 40,
        b"%PDF-1.4\n%%EOF\n",
        pdf_bytes()[:-60],  # cut short
        pdf_bytes().replace(b"/Type /Pages /Kids [3 0 R] /Count 1", b"/Type /Pages /Kids [] /Count 0"),
        b"%PDF-1.4\n" + b"[" * 100_000,
    ],
    ids=["garbage", "empty", "truncated", "no pages", "deep"],
)
def test_a_pdf_that_does_not_parse_is_refused(content: bytes) -> None:
    error = refusal(content)
    assert error.code == "FILE_UNREADABLE"
    assert error.message_zh == "文件已损坏或不是有效的 PDF，无法打开，请重新生成后上传"


def test_a_password_protected_pdf_is_refused_and_an_owner_only_one_is_read() -> None:
    def encrypted(user: str) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-128")
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    assert refusal(encrypted("secret")).code == "FILE_ENCRYPTED"
    # No opening password (printing restrictions only): it opens, and is checked like any other.
    assert check_upload("a.pdf", encrypted(""), ("pdf",), BIG).family == "pdf"


def test_too_many_objects_to_check_is_refused() -> None:
    many = (
        b"/Names << /Dests << /Names ["
        + b"".join(b"(d%d) [3 0 R /Fit] " % i for i in range(200))
        + b"] >> >>"
    )
    assert check_upload("a.pdf", pdf_bytes(catalog=many), ("pdf",), BIG, ContentLimits(pdf_objects=1000))
    assert refusal(pdf_bytes(catalog=many), pdf_objects=100).code == "FILE_TOO_COMPLEX"
