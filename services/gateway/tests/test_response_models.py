"""One response style: every JSON answer is a typed model the OpenAPI document shows, and the
models put on the wire exactly what the one protobuf mapping (protojson.to_dict) writes."""

from __future__ import annotations

import ast
import json
import typing
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.routing import APIRoute
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel
from starlette.responses import Response

from govhall.gateway import cases_model, catalogue_model, search_model
from govhall.gateway.api import create_app
from govhall.gateway.openapi import api_routes
from govhall.gateway.protojson import TIMESTAMP, model_of, to_dict
from govhall.gateway.settings import GatewaySettings
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.search.v1 import search_pb2

NOWHERE = GatewaySettings(
    catalogue_address="127.0.0.1:1",
    search_address="127.0.0.1:1",
    identity_address="127.0.0.1:1",
    cases_address="127.0.0.1:1",
)
M = TypeVar("M", bound=Message)
SOURCES = Path(__file__).parents[1] / "src" / "govhall" / "gateway"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(NOWHERE).openapi()


def _named(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A $ref to a model with properties, or an array of them: not a free-form object."""
    if schema.get("type") == "array":
        return _named(schema.get("items", {}), components)
    ref = schema.get("$ref", "")
    return ref.startswith("#/components/schemas/") and bool(
        components[ref.rsplit("/", 1)[1]].get("properties")
    )


def test_every_json_answer_documents_its_body(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    loose = []
    checked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                media = response.get("content", {})
                if "application/json" not in media:
                    # Files and streams say so (openapi.content); a JSON answer must be here.
                    assert media and all(m != "application/json" for m in media), (method, path)
                    continue
                checked += 1
                if not _named(media["application/json"].get("schema", {}), components):
                    loose.append(f"{method.upper()} {path}")
            for status, response in op["responses"].items():
                # The operations reports document their 503 body too.
                if status == "503" and "application/json" in response.get("content", {}):
                    assert _named(response["content"]["application/json"]["schema"], components), path
    assert checked >= 60
    assert loose == []


def _is_model(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel | Response)
    return typing.get_origin(annotation) is list and all(_is_model(a) for a in typing.get_args(annotation))


def test_every_route_returns_a_model_or_a_response() -> None:
    """Declared: each endpoint's return type is a model (a list of them) or a Response."""
    app = create_app(NOWHERE)
    untyped = []
    for context in api_routes(app):
        route = context.original_route
        assert isinstance(route, APIRoute)
        returns = typing.get_type_hints(route.endpoint).get("return")
        if not _is_model(returns):
            untyped.append(f"{route.path} -> {returns}")
    assert untyped == []


def _bare(node: ast.AST) -> bool:
    """A dict literal, dict(...), or a message mapped straight to a dict (to_dict, JSONResponse)."""
    if isinstance(node, ast.Dict | ast.DictComp):
        return True
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return name in {"dict", "to_dict", "JSONResponse"}
    return False


def test_no_route_module_returns_a_bare_dict() -> None:
    """Done: no endpoint (a function under a route decorator) returns a dict it built itself."""
    found = []
    for source in sorted(SOURCES.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) or not node.decorator_list:
                continue
            routed = any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in {"get", "post", "put", "patch", "delete"}
                for d in node.decorator_list
            )
            if not routed:
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None and _bare(inner.value):
                    found.append(f"{source.name}:{inner.lineno}")
    assert found == []


# The wire: a model dumps what to_dict writes -------------------------------------------------


def filled(message: M, depth: int = 0) -> M:
    """Every field of the message set to a value that is not its default (lists of two)."""
    fields: Any = message.DESCRIPTOR.fields  # the stubs allow None types; a field has them
    for field in fields:
        if field.containing_oneof is not None and message.WhichOneof(field.containing_oneof.name):
            continue  # one member of a oneof at a time
        values: list[Any] = []
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name == TIMESTAMP:
                if field.is_repeated:
                    getattr(message, field.name).add(seconds=1_790_000_000)
                else:
                    getattr(message, field.name).FromSeconds(1_790_000_000)
                continue
            if depth > 4 or field.message_type.GetOptions().map_entry:
                continue
            if field.is_repeated:
                for _ in range(2):
                    filled(getattr(message, field.name).add(), depth + 1)
            else:
                filled(getattr(message, field.name), depth + 1)
            continue
        if field.type == FieldDescriptor.TYPE_ENUM:
            values = [field.enum_type.values[-1].number]
        elif field.type == FieldDescriptor.TYPE_BOOL:
            values = [True]
        elif field.type == FieldDescriptor.TYPE_STRING:
            values = ["办件" + field.name]
        elif field.type == FieldDescriptor.TYPE_BYTES:
            values = [b"\x00\x01"]
        elif field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            values = [0.5]
        else:
            values = [7]
        if field.is_repeated:
            getattr(message, field.name).extend(values * 2)
        else:
            setattr(message, field.name, values[0])
    return message


def wire(model: BaseModel) -> Any:
    """What FastAPI sends for a model: its JSON, read back."""
    return json.loads(model.model_dump_json())


MESSAGES = [
    cat.Site,
    cat.Department,
    cat.Taxonomy,
    cat.Article,
    search_pb2.Suggestion,
    search_pb2.HotWord,
    cases_pb2.CaseSummary,
    cases_pb2.TabCount,
    cases_pb2.QueueCount,
    cases_pb2.WarningRow,
    cases_pb2.PublicStatus,
    cases_pb2.DocumentVerification,
    cases_pb2.Performance,
    cases_pb2.Statistics,
]


@pytest.mark.parametrize("message_type", MESSAGES, ids=lambda m: m.DESCRIPTOR.name)
@pytest.mark.parametrize("full", [True, False], ids=["filled", "empty"])
def test_a_message_model_puts_exactly_to_dict_on_the_wire(message_type: Any, full: bool) -> None:
    message = filled(message_type()) if full else message_type()
    model = model_of(message_type.DESCRIPTOR)
    assert wire(model.model_validate(to_dict(message))) == json.loads(json.dumps(to_dict(message)))


def test_a_matter_is_its_metadata_and_guide_side_by_side() -> None:
    matter = filled(cat.Matter())
    matter.draft.form_schema = '{"type": "object", "title": "申请表"}'
    expected = to_dict(matter)
    draft = expected.pop("draft")
    draft["form_schema"] = {"type": "object", "title": "申请表"}
    body = wire(catalogue_model.matter_out(matter))
    assert body == {**expected, **draft, "type_label": body["type_label"]}
    assert isinstance(body["type_label"], str)
    # A schema an older version stored as text that is not JSON stays text.
    matter.draft.form_schema = "not json"
    assert wire(catalogue_model.matter_out(matter))["form_schema"] == "not json"
    hot = wire(catalogue_model.hot_matter_out(cat.HotMatter(matter=matter, applications=12)))
    assert hot["applications"] == 12 and hot["code"] == matter.code


def test_a_case_carries_its_form_and_the_query_password_only_when_issued() -> None:
    case = filled(cases_pb2.Case())
    case.form_json = '{"shop_name": "小店"}'
    case.form_schema = '{"type": "object"}'
    expected = to_dict(case)
    del expected["form_json"]
    body = wire(cases_model.case_out(case))
    assert body == json.loads(
        json.dumps({**expected, "form": {"shop_name": "小店"}, "form_schema": {"type": "object"}})
    )
    case.query_password = ""
    case.form_json = "[1]"  # not an object: the portal gets {} rather than a list
    body = wire(cases_model.case_out(case))
    assert "query_password" not in body and body["form"] == {}


def test_a_search_hit_has_its_score_rounded_and_its_type_label() -> None:
    hit = filled(search_pb2.SearchHit())
    hit.score = 1.234567
    hit.type = cat.MATTER_TYPE_LICENSING
    body = wire(search_model.hit_out(hit))
    assert body == {**json.loads(json.dumps(to_dict(hit))), "score": 1.2346, "type_label": "行政许可"}
    facet = search_pb2.Facet(field="type", values=[search_pb2.FacetValue(value="1", label="许可", count=3)])
    assert wire(search_model.facet_out(facet)) == {
        "field": "type",
        "param": "type",
        "values": [{"value": "licensing", "label": "许可", "count": 3}],
    }
