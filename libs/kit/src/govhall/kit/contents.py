"""What is inside an upload: an OFD's ZIP package read from its central directory within bounds,
a PDF parsed for real and refused when it carries active content.

Both can take a while on a hostile file (a ZIP of 110,000 entries, a PDF of many objects), so
check_upload, which calls them, runs in a worker thread, never on the event loop. Nothing here
decompresses a ZIP entry or writes a file: a ZIP is judged by what its central directory says
(entry count, unpacked sizes), and the entry count is read from the end record before the
directory itself is parsed, so a package of 110,000 entries is refused in microseconds.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from govhall.kit.errors import DomainError, invalid

if TYPE_CHECKING:
    from pypdf import PdfReader


@dataclass(frozen=True)
class ContentLimits:
    """Bounds on what an upload may unpack to (a service's settings, e.g. GOVHALL_CASES_UPLOAD_*)."""

    archive_entries: int = 10_000
    unpacked_bytes: int = 256 * 1024 * 1024
    unpacked_ratio: int = 100  # unpacked size / file size; OFD text packs ~10x, images not at all
    pdf_objects: int = 500_000  # dictionaries and arrays visited looking for active content


_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_ENTRY = b"PK\x01\x02"


def _directory(content: bytes) -> tuple[int, int, int] | None:
    """(entries, size, offset) of the central directory from the end record (ZIP64 too), or None
    when there is no end record."""
    start = content.rfind(_END, max(0, len(content) - 22 - 0xFFFF))
    if start < 0 or len(content) - start < 22:
        return None
    entries, size, offset = struct.unpack_from("<HLL", content, start + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        locator = start - 20
        if locator >= 0 and content[locator : locator + 4] == _END64_LOCATOR:
            (record,) = struct.unpack_from("<Q", content, locator + 8)
            if content[record : record + 4] == _END64 and len(content) >= record + 56:
                entries, size, offset = struct.unpack_from("<QQQ", content, record + 32)
    return entries, size, offset


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def check_ofd(content: bytes, limits: ContentLimits) -> bool:
    """True if ``content`` is an OFD package (a ZIP with OFD.xml at its root) within the limits;
    False if it is no OFD; raises FILE_ARCHIVE_* (field "content") for one beyond them."""
    found = _directory(content)
    if found is None:
        return False
    entries, size, offset = found
    # The end record's count can lie while zipfile reads the whole directory by its size: count
    # the entry signatures in it too (a C-speed scan; an upper bound of the real count).
    if max(entries, content.count(_ENTRY, offset, offset + size)) > limits.archive_entries:
        raise invalid(
            "FILE_ARCHIVE_TOO_MANY_ENTRIES",
            f"the OFD package has more than {limits.archive_entries} entries",
            f"OFD 文件包含的条目过多（不能超过 {limits.archive_entries} 个），不予接收",
            "content",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            infos = package.infolist()
    except Exception:
        # A damaged or hostile ZIP fails in ways zipfile does not all document (BadZipFile,
        # NotImplementedError for an unknown version, EOFError, ValueError...): not an OFD.
        return False
    if not any(i.filename == "OFD.xml" for i in infos):
        return False
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.unpacked_bytes:
        raise invalid(
            "FILE_ARCHIVE_TOO_LARGE_UNPACKED",
            f"the OFD package unpacks to more than {_mb(limits.unpacked_bytes)}",
            f"OFD 文件解压后过大（不能超过 {_mb(limits.unpacked_bytes)}），不予接收",
            "content",
        )
    if unpacked > limits.unpacked_ratio * len(content):
        raise invalid(
            "FILE_ARCHIVE_RATIO",
            f"the OFD package unpacks to more than {limits.unpacked_ratio} times its size",
            f"OFD 文件解压后超过原文件的 {limits.unpacked_ratio} 倍，疑似压缩炸弹，不予接收",
            "content",
        )
    return True


# Keys that make a PDF do something when opened or clicked: scripts, actions on events (/AA),
# launching programs, embedded files, XFA forms (scripted) and rich media.
_ACTIVE_KEYS: Final = frozenset(
    {"/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFiles", "/EF", "/XFA", "/RichMedia"}
)
# Action types (/S) that run code, open other files or send data; /GoTo and /URI stay allowed.
_ACTIVE_ACTIONS: Final = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute"}
)


def _unreadable() -> DomainError:
    return invalid(
        "FILE_UNREADABLE",
        "the file is damaged or not a valid PDF and cannot be opened",
        "文件已损坏或不是有效的 PDF，无法打开，请重新生成后上传",
        "content",
    )


def _active_content(reader: PdfReader, budget: int) -> str | None:
    """The first active-content key or action reachable from the trailer, or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack: list[Any] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            budget -= 1
            for key, value in node.items():
                if key in _ACTIVE_KEYS:
                    return str(key)
                if key == "/S":
                    value = value.get_object() if isinstance(value, IndirectObject) else value
                    if value in _ACTIVE_ACTIONS:
                        return str(value)
                stack.append(value)
        elif isinstance(node, ArrayObject):
            budget -= 1
            stack.extend(node)
        if budget < 0:
            raise invalid(
                "FILE_TOO_COMPLEX",
                "the PDF has too many objects to be checked",
                "PDF 文件结构过于复杂，无法检查，请另存为普通 PDF 后上传",
                "content",
            )
    return None


def check_pdf(content: bytes, limits: ContentLimits) -> None:
    """Parse ``content`` as a PDF; raise (field "content") FILE_UNREADABLE if it cannot be read
    or has no pages, FILE_ENCRYPTED if it needs a password, FILE_ACTIVE_CONTENT if it carries
    scripts, automatic actions, launch actions or embedded files."""
    # Imported when a PDF is first checked: pypdf costs a second and ~50 MB at import, and
    # every service imports this module for its limits.
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise invalid(
                "FILE_ENCRYPTED",
                "the PDF is password-protected: upload it without a password",
                "PDF 文件设有打开密码，请取消密码后上传",
                "content",
            )
        if len(reader.pages) == 0:
            raise _unreadable()
        found = _active_content(reader, limits.pdf_objects)
    except DomainError:
        raise
    except Exception:
        # pypdf fails on hostile input in many ways (PdfReadError, KeyError, RecursionError...):
        # whatever it cannot read, no viewer should be asked to either.
        raise _unreadable() from None
    if found is not None:
        raise invalid(
            "FILE_ACTIVE_CONTENT",
            f"the PDF carries active content ({found}): save or print it as a plain PDF and upload that",
            "PDF 文件含有脚本、自动执行的动作或嵌入文件，不予接收：请另存为（或打印为）普通 PDF 后上传",
            "content",
        )
