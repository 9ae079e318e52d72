"""The OpenAPI document says what the gateway sends: problem+json errors by route, no 422."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from govhall.gateway.api import create_app
from govhall.gateway.settings import GatewaySettings

from .conftest import open_gateway

# Upstreams nobody answers on: what is checked here is the gateway's own, before any call.
NOWHERE = GatewaySettings(
    catalogue_address="127.0.0.1:1",
    search_address="127.0.0.1:1",
    identity_address="127.0.0.1:1",
    cases_address="127.0.0.1:1",
)
PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(NOWHERE).openapi()


@pytest.fixture
async def lone_gateway() -> AsyncIterator[httpx.AsyncClient]:
    client, lifespan = await open_gateway(NOWHERE)
    yield client
    await client.aclose()
    await lifespan.__aexit__(None, None, None)


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for item in document["paths"].values() for op in item.values()}


def errors(op: dict[str, Any]) -> set[int]:
    return {int(status) for status in op["responses"] if int(status) >= 400}


def test_no_operation_documents_fastapis_422(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert len(ops) >= 74
    assert [name for name, op in ops.items() if "HTTPValidationError" in str(op["responses"])] == []
    # A 422 a route sends itself (an idempotency key reused with another body) is a problem.
    for name, op in ops.items():
        if "422" in op["responses"]:
            assert op["responses"]["422"]["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                name
            )
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationError" not in document["components"]["schemas"]


# Probes and monitors read these: their 503 is the report's own JSON, not a problem.
OPERATIONS_REPORTS = {"readyz_readyz_get", "upstreams_health_healthz_upstreams_get"}


def test_every_error_is_problem_json(document: dict[str, Any]) -> None:
    for name, op in operations(document).items():
        assert 400 in errors(op), name  # any operation refuses an unknown query parameter
        for status in errors(op) - {503} if name in OPERATIONS_REPORTS else errors(op):
            content = op["responses"][str(status)]["content"]
            assert content == {"application/problem+json": {"schema": PROBLEM}}, (name, status)
    problem = document["components"]["schemas"]["Problem"]
    assert {"code", "detail", "detail_zh", "status"} <= set(problem["required"])


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        # Public reads: no 401/403, nothing to conflict with.
        ("getSite", {400, 404, 429, 503, 504}),
        ("getTaxonomy", {400, 429, 503, 504}),
        # A token that does not verify is 401 even where anyone may call.
        ("queryCaseStatus", {400, 401, 404, 409, 413, 429, 503, 504}),
        # Signing in: wrong credentials are 401, without being signed in.
        ("login", {400, 401, 404, 409, 413, 429, 503, 504}),
        # Signed-in reads and writes.
        ("getMe", {400, 401, 403, 429, 503, 504}),
        ("updateDraft", {400, 401, 403, 404, 409, 413, 429, 503, 504}),
        ("uploadMaterial", {400, 401, 403, 404, 409, 413, 429, 503, 504}),
        ("uploadMaterialFile", {400, 401, 403, 404, 409, 413, 429, 503, 504}),
        # A public download: anyone, nothing to conflict with.
        ("getMaterialFile", {400, 404, 429, 503, 504}),
        ("changeMatterStatus", {400, 401, 403, 404, 409, 429, 503, 504}),
        ("reindex", {400, 401, 403, 404, 409, 429, 503, 504}),
        # Probes: outside the rate limit and calling no service.
        ("healthz_healthz_get", {400}),
    ],
)
def test_errors_follow_from_the_route(document: dict[str, Any], operation: str, expected: set[int]) -> None:
    assert errors(operations(document)[operation]) == expected


def test_a_declared_error_is_documented_as_a_problem() -> None:
    app = create_app(NOWHERE)

    @app.post("/api/v1/echo", responses={422: {"description": "the key was used with another body"}})
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    responses = app.openapi()["paths"]["/api/v1/echo"]["post"]["responses"]
    assert responses["422"]["description"] == "the key was used with another body"
    assert responses["422"]["content"] == {"application/problem+json": {"schema": PROBLEM}}


@pytest.mark.parametrize(
    ("operation", "media_types"),
    [
        ("getGuideQrPng", ["image/png"]),
        ("getGuideQrSvg", ["image/svg+xml"]),
        ("getCaseFile", ["application/pdf", "image/jpeg", "image/png", "application/ofd"]),
        ("getCaseDocument", ["application/pdf"]),
        ("getMaterialFile", ["application/pdf", "application/ofd", "image/jpeg", "image/png"]),
        ("reindex", ["application/x-ndjson"]),
    ],
)
def test_files_and_streams_are_not_documented_as_json(
    document: dict[str, Any], operation: str, media_types: list[str]
) -> None:
    assert list(operations(document)[operation]["responses"]["200"]["content"]) == media_types


def test_a_route_keeps_its_own_descriptions(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert "LOGIN_FAILED" in ops["login"]["responses"]["401"]["description"]
    assert "FILE_TOO_LARGE" in ops["uploadMaterial"]["responses"]["413"]["description"]
    assert "FILE_TOO_LARGE" in ops["uploadMaterialFile"]["responses"]["413"]["description"]
    assert "FILE_NOT_FOUND" in ops["getMaterialFile"]["responses"]["404"]["description"]
    # Not-ready is the probe's own JSON, not a problem.
    for name in OPERATIONS_REPORTS:
        assert "application/json" in ops[name]["responses"]["503"]["content"]


async def test_what_is_sent_matches_the_document(
    document: dict[str, Any], lone_gateway: httpx.AsyncClient
) -> None:
    schema = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    for r in [
        await lone_gateway.get("/api/v1/sites/42050x"),  # 400, naming the field
        await lone_gateway.get("/api/v1/me"),  # 401
        await lone_gateway.get("/api/v1/sites/420502"),  # 503: the catalogue is down
    ]:
        documented = operations(document)["getMe" if r.url.path == "/api/v1/me" else "getSite"]
        assert str(r.status_code) in documented["responses"], r.text
        assert r.headers["content-type"] == "application/problem+json"
        jsonschema.validate(r.json(), schema)


async def test_405_names_every_method_of_the_resource(lone_gateway: httpx.AsyncClient) -> None:
    r = await lone_gateway.options("/api/v1/cases/abc")
    assert r.status_code == 405 and r.headers["Allow"] == "DELETE, GET, PATCH"
    # A concrete path is its own resource, though /cases/{case_id} would match it too.
    r = await lone_gateway.request("TRACE", "/api/v1/cases/status-query")
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
    # A matter's versions are read, not an action to take.
    r = await lone_gateway.post("/api/v1/admin/sites/420502/matters/420502-A-1/versions")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert r.json()["code"] == "METHOD_NOT_ALLOWED"
