"""The reference portal (参考门户): a Chinese single-page site served by the gateway at `/`.

The portal is static files (web/): one HTML shell, plain ES modules and a style sheet, nothing
fetched from a CDN and nothing to build. The browser calls the same public API under /api/v1 as
a sub-site's own portal would; the gateway only hands out the files. So every way to run
(`make run`, `make up`, the chart) serves it with the gateway, on the origin the QR codes name.

Page addresses (the guide QR's /guide/{site}/{code}, the notice QR's /verify/notice/{id}) answer
with the shell, which routes in the browser; any other path stays the API's 404 problem+json.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

WEB = Path(__file__).parent / "web"

# The first path segment of every page the portal routes (web/app.js, ROUTES).
PAGES = (
    "search",
    "matters",
    "guide",
    "articles",
    "qa",
    "apply",
    "book",
    "consult",
    "login",
    "register",
    "forgot",
    "me",
    "verify",
    "query",
    "staff",
)

# Scripts, styles and images from the portal's own origin only; no inline script, no framing.
# The API answers come from the same origin (connect-src 'self'); downloads are blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Revalidated on each visit (by ETag): a new release shows at once, an unchanged file costs a 304.
    "Cache-Control": "no-cache",
}


async def _shell(request: Request) -> Response:
    return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


class _Assets(StaticFiles):
    """The portal's files, with the shell's headers (a module or style sheet is a page's too)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def portal_routes() -> list[BaseRoute]:
    """Starlette routes (not API routes: no OpenAPI entry, no query-parameter refusal, outside
    the /api rate limit) for the shell at every page address and the files under /portal/."""
    routes: list[BaseRoute] = [Route("/", _shell, methods=["GET", "HEAD"])]
    for page in PAGES:
        routes.append(Route(f"/{page}", _shell, methods=["GET", "HEAD"]))
        routes.append(Route(f"/{page}/{{rest:path}}", _shell, methods=["GET", "HEAD"]))
    routes.append(Mount("/portal", app=_Assets(directory=WEB), name="portal"))
    return routes
