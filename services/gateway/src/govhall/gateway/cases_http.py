"""The HTTP side of the cases routes: their path, query and header parameters, uploads capped
at the size of a file before they are parsed, and files served as downloads."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import Header, Path, Query, Request, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.types import Message

from govhall.gateway import bounds, problems
from govhall.kit.errors import DomainError, ErrorKind, FieldError

# A material's code as the matter's guide names it (the catalogue does not restrict its spelling).
CodePath = Annotated[str, Path(min_length=1, max_length=200)]
Day = Annotated[
    str | None, Query(pattern=bounds.DAY_PATTERN, description="YYYY-MM-DD, inclusive"), bounds.DayText
]
FromDay = Annotated[
    str | None,
    Query(alias="from", pattern=bounds.DAY_PATTERN, description="YYYY-MM-DD, inclusive"),
    bounds.DayText,
]
IdempotencyKey = Annotated[
    str | None, Header(max_length=64, description="a retry with the same key does it once")
]
IfMatch = Annotated[
    str | None,
    Header(max_length=40, description='the revision the client saw, as the ETag of GET /cases/{id}: "3"'),
]
# What a multipart body may carry beyond the file itself (boundaries, part headers, the name).
MULTIPART_ALLOWANCE = 64 * 1024


def file_too_large(max_bytes: int) -> DomainError:
    mb = max_bytes / (1024 * 1024)
    return DomainError(
        "FILE_TOO_LARGE",
        f"a file may have at most {mb:g} MB",
        f"文件过大：单个文件不能超过 {mb:g} MB",
        ErrorKind.INVALID,
        [FieldError("file", f"at most {mb:g} MB", f"单个文件不能超过 {mb:g} MB")],
    )


def capped_body_route(max_file_bytes: int) -> type[APIRoute]:
    """A route class that refuses a body bigger than a file of max_file_bytes in a multipart
    envelope (413 FILE_TOO_LARGE) before FastAPI parses and spools it: at once when its
    Content-Length says so, or as a body without one streams in past the limit."""
    limit = max_file_bytes + MULTIPART_ALLOWANCE

    class CappedBody(APIRoute):
        # guards.RequestLimits leaves these bodies to this class (at the size of a file).
        own_body_limit = True

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def capped(request: Request) -> Response:
                def refuse() -> Response:
                    return problems.problem(file_too_large(max_file_bytes), request.url.path, 413)

                declared = request.headers.get("content-length", "")
                if declared.isdigit():
                    # The server delivers no more than Content-Length says.
                    return refuse() if int(declared) > limit else await handler(request)
                body = bytearray()
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        return refuse()
                replayed = False

                async def replay() -> Message:
                    nonlocal replayed
                    if replayed:
                        return await request.receive()
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}

                return await handler(Request(request.scope, replay))

            return capped

    return CappedBody


async def read_upload(file: UploadFile, max_bytes: int) -> tuple[str, bytes]:
    """An uploaded file's name as sent (at most 255 characters; the service checks and cleans it)
    and its content, refused as FILE_TOO_LARGE past ``max_bytes`` (one byte more is read to know)."""
    content = await file.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise file_too_large(max_bytes)
    return (file.filename or "")[:255], content


def content_disposition(file_name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients and the real (Chinese) name as RFC 5987
    filename*, e.g. 准予许可决定书.pdf -> filename="download.pdf"; filename*=UTF-8''%E5%87%86..."""
    stem, dot, ext = file_name.rpartition(".")
    if not dot:
        stem, ext = file_name, ""
    ascii_ext = ext if ext.isascii() and ext.isalnum() else ""
    ascii_stem = re.sub(r"[^0-9A-Za-z._-]+", "", stem).strip("._-") or "download"
    fallback = ascii_stem + (f".{ascii_ext}" if ascii_ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


class StoredFile(Protocol):
    """A file an upstream serves: cases' StoredFile, consult's LetterAttachmentContent."""

    file_name: str
    media_type: str
    content: bytes


def send_file(
    content: bytes, media_type: str, file_name: str, cache_control: str = "private, no-store"
) -> Response:
    """A checked file as a download under its real name; private and not kept unless the caller
    says otherwise (a file anyone may fetch by its content's hash is kept for good)."""
    return Response(
        content,
        media_type=media_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(file_name or "download"),
            "Cache-Control": cache_control,
            # What an applicant uploaded is served as the type its content was checked to be.
            "X-Content-Type-Options": "nosniff",
        },
    )


def file_response(f: StoredFile) -> Response:
    return send_file(f.content, f.media_type, f.file_name)
