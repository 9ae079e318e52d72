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
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from govhall.kit.errors import DomainError, ErrorKind

MEDIA_TYPES: Final = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
}
DEFAULT_ACCEPTED: Final = ("pdf", "jpg", "png")
MAX_NAME: Final = 120
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sniff(content: bytes) -> str | None:
    """The type family of ``content`` by its magic bytes: pdf, jpg, png, ofd, or None."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"PK\x03\x04"):
        # OFD (GB/T 33190) is a ZIP package with OFD.xml at its root; other ZIPs are not accepted.
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                if "OFD.xml" in package.namelist():
                    return "ofd"
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
    return None


@dataclass(frozen=True)
class Upload:
    family: str
    media_type: str
    size: int
    sha256: str
    file_name: str


def _invalid(code: str, message: str, message_zh: str, field: str = "content") -> DomainError:
    from govhall.kit.errors import FieldError

    return DomainError(code, message, message_zh, ErrorKind.INVALID, [FieldError(field, message, message_zh)])


def clean_name(file_name: str, family: str) -> str:
    """The last path component, without control characters, at most MAX_NAME characters, with the
    extension of what the content really is."""
    base = re.split(r"[/\\]", file_name)[-1]
    base = _CONTROL.sub("", base).strip().strip(".")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip() or "材料"
    ext = "." + family
    return stem[: MAX_NAME - len(ext)] + ext


def check_upload(file_name: str, content: bytes, accepted_types: Sequence[str], max_bytes: int) -> Upload:
    if not content:
        raise _invalid("FILE_EMPTY", "the file is empty", "文件为空，请重新选择")
    if len(content) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        raise _invalid(
            "FILE_TOO_LARGE",
            f"a file may have at most {mb:g} MB",
            f"文件过大：单个文件不能超过 {mb:g} MB",
        )
    accepted = [t.lower() for t in accepted_types] or list(DEFAULT_ACCEPTED)
    family = sniff(content)
    if family is None or family not in accepted:
        names = "、".join(t.upper() for t in accepted)
        raise _invalid(
            "FILE_TYPE_NOT_ACCEPTED",
            f"this material accepts only {', '.join(t.upper() for t in accepted)} files (checked by content)",
            f"文件类型不符：本材料只接受 {names} 格式",
        )
    return Upload(
        family=family,
        media_type=MEDIA_TYPES[family],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file_name=clean_name(file_name, family),
    )


class FileStore:
    """Content-addressed files on a directory (a volume shared by the service's replicas)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _HEX64.match(sha256):
            raise DomainError("FILE_NOT_FOUND", "no such file", "文件不存在", ErrorKind.NOT_FOUND)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.is_file():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
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
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return digest

    def get(self, sha256: str) -> bytes:
        target = self.path(sha256)
        try:
            content = target.read_bytes()
        except FileNotFoundError:
            raise DomainError("FILE_NOT_FOUND", "no such file", "文件不存在", ErrorKind.NOT_FOUND) from None
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
