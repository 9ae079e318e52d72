"""What every request passes before a route sees it (pure ASGI, so nothing is read twice):

- the client's address: X-Forwarded-For counts only from a trusted proxy (a setting, default
  none), so rate limits, logins, SMS and hot words see the real client;
- the body's size: a body other than an upload is refused with 413 once it is bigger than
  max_body_bytes, by its Content-Length before a byte is read, or as a body without one streams
  in (uploads have their own route-level limit, at the size of a file); a JSON body that is not
  UTF-8 is a 400 naming the field it spoils (the JSON parser could only say "error parsing");
- the bounds of free-form JSON for this app (bounds.json_limits).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from govhall.gateway import bounds, problems
from govhall.gateway.settings import GatewaySettings
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid_fields


def body_too_large(max_bytes: int) -> DomainError:
    size = f"{max_bytes / 1024 / 1024:g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
    return DomainError(
        "BODY_TOO_LARGE",
        f"the request body may have at most {size}",
        f"请求内容过大：不能超过 {size}",
        ErrorKind.INVALID,
        [FieldError("body", f"at most {size}", f"不能超过 {size}")],
    )


class RequestLimits:
    """Caps non-upload bodies and sets the app's JSON limits; `own_limit(scope)` says whether a
    request goes to a route that caps its body itself (an upload)."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings, own_limit: Callable[[Scope], bool]) -> None:
        self.app = app
        self.max_bytes = settings.max_body_bytes
        self.limits = bounds.JsonLimits(settings.json_max_depth, settings.json_max_bytes)
        self.own_limit = own_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = bounds.json_limits.set(self.limits)
        try:
            # Most requests (every GET) have no body: nothing to bound or check, and no need to
            # match the path against the upload routes (py-spy: both on every cached search).
            if not _says_it_has_a_body(scope) or self.own_limit(scope):
                await self.app(scope, receive, send)
                return
            declared = _content_length(scope)
            if declared is not None and declared > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            # Read it here, bounded (a body without Content-Length is counted as it streams),
            # and hand on what was read: the routes parse at most max_bytes.
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                body += message.get("body", b"")
                if len(body) > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
                if not message.get("more_body", False):
                    break
            bad = _not_utf8(scope, bytes(body))
            if bad is not None:
                await problems.problem(bad, scope.get("path", ""))(scope, receive, send)
                return
            await self.app(scope, _replay(bytes(body), receive), send)
        finally:
            bounds.json_limits.reset(token)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problems.problem(body_too_large(self.max_bytes), scope.get("path", ""), 413)
        # The rest of the body is not read: the connection closes after the answer.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _not_utf8(scope: Scope, body: bytes) -> DomainError | None:
    """The problem with a JSON body that is not UTF-8 (raw surrogates, stray bytes), naming the
    first field whose text it spoils; None for a good body or one that is not JSON."""
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"").lower()
    if b"json" not in content_type:
        return None
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    try:
        field = _first_bad_text(json.loads(body.decode("utf-8", errors="surrogateescape")))
    except ValueError:
        field = "body"  # not JSON either: it cannot be pointed into
    return invalid_fields(
        "REQUEST_INVALID",
        [FieldError(field, "not UTF-8 text", "不是有效的 UTF-8 文本")],
    )


def _first_bad_text(value: Any, path: str = "") -> str:
    """Where in parsed JSON the first string (or key) holds what UTF-8 cannot encode, as
    problems.field_name spells fields ("form.business_scope", "items[0].problem")."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop(0)
        if isinstance(item, str) and bounds.unencodable(item):
            return at or "body"
        if isinstance(item, dict):
            for key, child in item.items():
                name = key if problems.FIELD_PART.fullmatch(key) else problems.UNNAMED
                if bounds.unencodable(key):
                    return f"{at}.{problems.UNNAMED}".lstrip(".")
                stack.append((child, f"{at}.{name}".lstrip(".")))
        elif isinstance(item, list):
            stack.extend((child, f"{at}[{i}]") for i, child in enumerate(item))
    return path or "body"


def _says_it_has_a_body(scope: Scope) -> bool:
    """Whether the request has a body at all: without Content-Length or Transfer-Encoding an
    HTTP/1.1 request's body is empty (RFC 9112, 6.3), and uvicorn hands on none."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() != b"0"
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # a disconnect, when it comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def client_address(app: ASGIApp, settings: GatewaySettings) -> ASGIApp:
    """`app` seeing the client a trusted proxy names in X-Forwarded-For (the nearest address
    that is not itself a trusted proxy); with no trusted proxies, the socket's peer as it is.
    uvicorn's own handling is turned off (its default trusts 127.0.0.1): this is the one place."""
    if not settings.trusted_proxies:
        return app
    return ProxyHeadersMiddleware(app, trusted_hosts=[str(n) for n in settings.trusted_proxies])  # type: ignore[arg-type,return-value]
