"""The sweep: every integer and day the API takes has a bound (checked in the OpenAPI document),
and a value past it is a 400 naming the parameter, never a 500 (checked against the gateway
itself; no service is needed, it refuses these before calling one)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from govhall.gateway import bounds
from govhall.gateway.api import create_app
from govhall.gateway.settings import GatewaySettings

from .conftest import AUTH, TOKEN, open_gateway
from .test_cases_routes import SITE
from .test_request_bounds import TOO_BIG, fields


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app(GatewaySettings(admin_token=TOKEN)).openapi()  # type: ignore[arg-type]


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in schema.get("anyOf", [schema]) if m.get("type") != "null"]


def input_schemas(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) for every parameter and every property of every request body, nested."""
    seen: set[str] = set()

    def walk(where: str, schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        ref = schema.get("$ref")
        if ref:
            if ref in seen:
                return
            seen.add(ref)
        schema = resolve(doc, schema)
        yield where, schema
        for key in ("anyOf", "oneOf", "allOf"):
            for member in schema.get(key, []):
                yield from walk(where, member)
        if "items" in schema:
            yield from walk(f"{where}[]", schema["items"])
        for name, prop in schema.get("properties", {}).items():
            yield from walk(f"{where}.{name}", prop)

    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                yield from walk(f"{method} {path} {param['in']}.{param['name']}", param["schema"])
            content = op.get("requestBody", {}).get("content", {})
            for media in content.values():
                yield from walk(f"{method} {path} body", media["schema"])


def test_every_integer_and_day_the_api_takes_is_bounded(openapi: dict[str, Any]) -> None:
    integers = days = 0
    for where, schema in input_schemas(openapi):
        for member in members(schema):
            if member.get("type") == "integer":
                integers += 1
                assert "minimum" in member or "exclusiveMinimum" in member, where
                # (OpenAPI writes 2^63-1 as a float: 9.223372036854776e18)
                assert float(member.get("maximum", "inf")) <= float(bounds.MAX_INT64), where
            if member.get("format") in ("date", "date-time") or "\\d{4}-\\d{2}-\\d{2}" in member.get(
                "pattern", ""
            ):
                days += 1
    assert integers >= 20 and days >= 4


def sample_path(path: str) -> str:
    values = {"site": SITE, "action": "accept" if "/staff/" in path else "publish"}
    out = path
    for name in [p.split("}")[0] for p in path.split("{")[1:]]:
        out = out.replace(f"{{{name}}}", values.get(name, str(uuid.uuid4())))
    return out


def sweep_cases(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any], Any]]:
    """(method, path, field, request kwargs) for every integer and day at and past its bound."""
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            url = sample_path(path)
            for param in op.get("parameters", []):
                if param["in"] != "query":
                    continue
                for member in members(param["schema"]):
                    name = param["name"]
                    if member.get("type") == "integer":
                        for value in (
                            member["maximum"] + 1,
                            TOO_BIG,
                            member.get("minimum", 0) - 1,
                            -TOO_BIG - 1,
                        ):
                            yield method, url, name, {"params": {name: str(value)}}
                    if "\\d{4}" in member.get("pattern", ""):
                        for value in ("9999-12-31", "0001-01-01", "2026-02-30"):
                            yield method, url, name, {"params": {name: value}}
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            body = resolve(doc, content["schema"])
            for name, prop in body.get("properties", {}).items():
                for member in members(resolve(doc, prop)):
                    if member.get("type") == "integer":
                        for value in (int(member["maximum"]) + 1, TOO_BIG, -TOO_BIG - 1):
                            yield method, url, name, {"json": {name: value}}
                    if member.get("format") == "date-time":
                        for value in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"):
                            yield method, url, name, {"json": {name: value}}
                    if "\\d{4}" in member.get("pattern", ""):
                        yield method, url, name, {"json": {name: "9999-12-31"}}


async def test_sweep_past_every_bound_is_a_400_naming_the_parameter(openapi: dict[str, Any]) -> None:
    """Without any service running: the gateway refuses these itself, before calling one."""
    client, lifespan = await open_gateway(GatewaySettings(admin_token=TOKEN, rate_limit_per_minute=100_000))  # type: ignore[arg-type]
    try:
        cases = list(sweep_cases(openapi))
        assert len(cases) >= 60
        for method, url, name, kwargs in cases:
            r = await client.request(method.upper(), url, headers=AUTH, **kwargs)
            assert r.status_code == 400, (method, url, name, kwargs, r.text)
            assert any(f.endswith(name) for f in fields(r)), (method, url, name, r.text)
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
