"""Uploaded materials: checked by what they contain, stored by what they hash to.

A file's type is read from its first bytes, never from its name: a PNG called 申请书.pdf is a PNG
(and is renamed .png so it opens), an executable called 申请书.pdf is refused. Files live on a
volume under their SHA-256 (``ab/cd/<sha256>``): the same content uploaded twice is stored once,
and a crash mid-write never leaves a partial file under a final name (write to a temporary
file, fsync, rename, fsync the directory).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from govhall.kit.contents import ContentLimits, check_ofd, check_pdf
from govhall.kit.errors import DomainError, ErrorKind, invalid

MEDIA_TYPES: Final = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
}
DEFAULT_ACCEPTED: Final = ("pdf", "jpg", "png")
MAX_NAME: Final = 120
# A SHA-256 as files are named by it; use with fullmatch: no trailing newline slips through.
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Dropped from names: control characters, format characters (bidi overrides that make
# "申请书\u202efdp.exe" display as "申请书exe.pdf", zero-width characters), line separators and
# lone surrogates (which cannot be encoded as UTF-8 again).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _magic(content: bytes) -> str | None:
    """The type family ``content``'s first bytes claim: pdf, jpg, png, zip, or None."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def sniff(content: bytes, limits: ContentLimits = ContentLimits()) -> str | None:
    """The type family of ``content`` by its magic bytes: pdf, jpg, png, ofd, or None.

    OFD (GB/T 33190) is a ZIP package with OFD.xml at its root; other ZIPs are not accepted.
    Only the central directory is read, within ``limits`` (beyond them: FILE_ARCHIVE_*)."""
    family = _magic(content)
    if family == "zip":
        return "ofd" if check_ofd(content, limits) else None
    return family


@dataclass(frozen=True)
class Upload:
    family: str
    media_type: str
    size: int
    sha256: str
    file_name: str


def file_not_found() -> DomainError:
    return DomainError("FILE_NOT_FOUND", "no such file", "文件不存在", ErrorKind.NOT_FOUND)


def _size_text(n: int) -> str:
    """A byte count as people read it: "20 MB", "1.5 MB", "512 KB"."""
    if n >= 1024 * 1024:
        return f"{round(n / (1024 * 1024), 1):g} MB"
    return f"{max(1, round(n / 1024))} KB"


def clean_name(file_name: str, family: str) -> str:
    """The last path component, without control or invisible formatting characters, at most
    MAX_NAME characters, with the extension of what the content really is."""
    name = unicodedata.normalize("NFC", file_name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    base = re.split(r"[/\\]", name)[-1].strip()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    ext = "." + family
    stem = stem.strip(" .")[: MAX_NAME - len(ext)].rstrip(" .")
    return (stem or "材料") + ext


def check_upload(
    file_name: str,
    content: bytes,
    accepted_types: Sequence[str],
    max_bytes: int,
    limits: ContentLimits = ContentLimits(),
) -> Upload:
    """Judge an upload by its content: not empty, at most ``max_bytes``, of a type the material
    accepts (``accepted_types`` empty means DEFAULT_ACCEPTED), and sound inside (an OFD within
    ``limits``, a PDF that parses and runs nothing). Raises DomainError (INVALID, field
    "content") with FILE_EMPTY, FILE_TOO_LARGE, FILE_TYPE_NOT_ACCEPTED, or one of contents.py's.
    Parsing takes time on a large file: call it in a worker thread."""
    if not content:
        raise invalid("FILE_EMPTY", "the file is empty", "文件为空，请重新选择", "content")
    if len(content) > max_bytes:
        limit = _size_text(max_bytes)
        raise invalid(
            "FILE_TOO_LARGE",
            f"the file is too large: a single file may be at most {limit}",
            f"文件过大：单个文件不能超过 {limit}",
            "content",
        )
    accepted = [t.strip().lower() for t in accepted_types if t.strip()] or list(DEFAULT_ACCEPTED)
    family = _magic(content)
    if family == "zip":
        # A ZIP is read (within bounds) only for a material that takes OFD.
        family = "ofd" if "ofd" in accepted and check_ofd(content, limits) else None
    if family is None or family not in accepted:
        raise invalid(
            "FILE_TYPE_NOT_ACCEPTED",
            f"this material accepts only {', '.join(t.upper() for t in accepted)} files (checked by content)",
            f"文件类型不符：本材料只接受 {'、'.join(t.upper() for t in accepted)} 格式",
            "content",
        )
    if family == "pdf":
        check_pdf(content, limits)
    return Upload(
        family=family,
        media_type=MEDIA_TYPES[family],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file_name=clean_name(file_name, family),
    )


_HOLDER = re.compile(r"[a-z][a-z0-9-]{0,30}")


class FileStore:
    """Content-addressed files on a directory (a volume shared by the service's replicas).

    ``holder`` (a service's name) makes ``put`` leave a reference marker ``<sha256>.ref.<holder>``
    beside the blob, before the blob itself is looked for: the kit's blob sweep (kit.blobs) never
    deletes a blob any service's marker stands beside, so services can share one volume and each
    sweep only what it alone once held. A store without a holder leaves its blobs unmarked, and
    unmarked blobs are never swept."""

    def __init__(self, root: Path, holder: str | None = None) -> None:
        self.root = Path(root)
        if holder is not None and not _HOLDER.fullmatch(holder):
            raise ValueError(f"a file store's holder is a service name, not {holder!r}")
        self.holder = holder

    def marker(self, sha256: str, holder: str) -> Path:
        """The reference marker ``holder`` keeps beside the blob ``sha256``."""
        target = self.path(sha256)
        return target.with_name(f"{target.name}.ref.{holder}")

    def path(self, sha256: str) -> Path:
        """Where ``sha256`` lives; anything but 64 lowercase hex digits is FILE_NOT_FOUND, so no
        caller-supplied string ever becomes a path outside the store."""
        if not SHA256_HEX.fullmatch(sha256):
            raise file_not_found()
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        if not SHA256_HEX.fullmatch(sha256):
            return False
        return self.path(sha256).is_file()

    def put(self, content: bytes) -> str:
        """Store ``content`` (once: the same content again is a no-op) and return its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if self.holder is not None:
            # The marker first: a sweep that has not seen it yet has moved the blob away before
            # looking, so the check below finds it missing and writes it again.
            self._make_dirs(target.parent)
            self.marker(digest, self.holder).touch()
        if target.is_file():
            return digest
        self._make_dirs(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def _make_dirs(self, directory: Path) -> None:
        # A directory created here is made durable in its parent too, or a crash could lose
        # ab/cd/ along with a file already reported as stored.
        missing: list[Path] = []
        d = directory
        while not d.is_dir() and d != d.parent:
            missing.append(d)
            d = d.parent
        directory.mkdir(parents=True, exist_ok=True)
        for created in reversed(missing):
            _fsync_dir(created.parent)

    def get(self, sha256: str) -> bytes:
        """The content stored under ``sha256``: FILE_NOT_FOUND (NOT_FOUND) if there is none,
        FILE_CORRUPT (INTERNAL) if what is on the volume no longer hashes to it."""
        target = self.path(sha256)
        try:
            content = target.read_bytes()
        except FileNotFoundError:
            raise file_not_found() from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise DomainError(
                "FILE_CORRUPT",
                "the stored file does not match its hash",
                "文件已损坏，请联系管理员",
                ErrorKind.INTERNAL,
            )
        return content

    async def aput(self, content: bytes) -> str:
        return await asyncio.to_thread(self.put, content)

    async def aget(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self.get, sha256)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
