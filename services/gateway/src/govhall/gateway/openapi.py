"""The OpenAPI document says what the gateway sends: its problem+json errors, not FastAPI's 422.

FastAPI documents a 422 HTTPValidationError on every operation with parameters, while the
gateway answers bad input with 400 problem+json (problems.on_validation_error) and documents
none of the 401/403/404/409/413/429/503/504 its routes send. Which errors an operation can
answer follows from what its route declares and where it sits, so they are derived here, once,
from each route rather than written on each:

- every operation: 400 (a parameter, the body or an unknown query parameter);
- a path parameter: 404 (nothing by that key);
- a body: 413 (larger than the gateway takes);
- `Caller`: 401 (a token that does not verify); `SignedIn`, `Admin`, `PlatformAdmin`: 401, 403;
- behind the /api rate limit: 429; calling a service (all but the probes): 503, 504;
- a write calling a service: 404 and 409 (what it acts on is gone, or in another state).

A route adds what only it sends with its own `responses={status: {"description": ...}}`: an
error status named without content is filled in as problem+json.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field

from govhall.gateway import auth
from govhall.gateway.problems import PROBLEM_JSON


class ProblemField(BaseModel):
    field: str = Field(description='the field as the request names it, e.g. "materials[0].code"')
    message: str
    message_zh: str


class Problem(BaseModel):
    """An error (RFC 9457 problem details), in English and Chinese."""

    type: str = Field(description="urn:govhall:problem:<code in lower case>")
    title: str
    status: int
    code: str = Field(description="stable machine-readable code, e.g. REQUEST_INVALID, CASE_NOT_FOUND")
    detail: str
    detail_zh: str
    instance: str | None = Field(None, description="the request's path")
    errors: list[ProblemField] | None = Field(None, description="each field at fault")


WHY = {
    400: "Invalid input: a parameter, the body, or a query parameter the operation does not take "
    "(REQUEST_INVALID names each field)",
    401: "No valid access token: missing, malformed, expired or revoked (UNAUTHENTICATED, TOKEN_*)",
    403: "The caller may not do this (FORBIDDEN and the like)",
    404: "Nothing by that key (…_NOT_FOUND)",
    409: "Conflicts with the current state: a newer revision, a duplicate, or the wrong step",
    413: "The body is larger than the gateway takes",
    429: "Too many requests or attempts from this client; slow down (Retry-After, when given)",
    503: "A service behind the gateway is unavailable",
    504: "A service behind the gateway did not answer in time",
}

_HEADERS = {
    401: {"WWW-Authenticate": {"description": 'Bearer realm="govhall"', "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}},
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_PROBES = {"/healthz", "/readyz"}  # answer without calling a service


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """Every operation of the app as it is served, inside included routers too."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            yield route


def error_statuses(route: RouteContext, method: str) -> set[int]:
    """The error statuses an operation can answer, from what its route declares (see above)."""
    statuses = {400}
    dependant = route.dependant
    calls = {d.call for d in _dependencies(dependant)}
    if any(d.path_params for d in (dependant, *_dependencies(dependant))):
        statuses.add(404)
    if route.body_field is not None:
        statuses.add(413)
    if calls & {auth._signed_in, auth._admin, auth._platform_admin}:
        statuses |= {401, 403}
    elif auth._any_caller in calls:
        statuses.add(401)
    path = route.path_format or ""
    if path.startswith("/api/"):
        statuses.add(429)
    if path not in _PROBES:
        statuses |= {503, 504}
        if method in _WRITES:
            statuses |= {404, 409}
    return statuses


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or WHY.get(status, "An error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def content(*media_types: str, description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose 200 is not JSON: a file, an image, a stream."""
    schema = {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {t: {"schema": schema} for t in media_types}}}


def document_errors(app: FastAPI) -> None:
    """Make app.openapi() document each operation's real errors and drop FastAPI's 422."""

    generate = app.openapi  # FastAPI's own: builds the document once and keeps it

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            _amend(app, generate())
        return generate()

    app.openapi = build  # type: ignore[method-assign]


def _amend(app: FastAPI, doc: dict[str, Any]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            responses = doc["paths"][route.path_format][method.lower()]["responses"]
            if "HTTPValidationError" in str(responses.get("422", "")):
                del responses["422"]  # FastAPI's, never sent; a 422 a route declares stays
            # An error the route declares by its description alone is a problem too.
            declared = {
                int(s) for s, r in responses.items() if s.isdigit() and int(s) >= 400 and "content" not in r
            }
            for status in sorted(error_statuses(route, method) | declared):
                if "content" not in responses.get(str(status), {}):
                    description = responses.get(str(status), {}).get("description")
                    responses[str(status)] = problem_response(status, description)
