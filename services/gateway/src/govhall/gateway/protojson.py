"""One mapping between gRPC messages and the REST JSON portals see, for every message.

The REST shapes follow the protos field by field (snake_case names), with three edge rules, so
no route maps a guide's fifty-odd fields by hand:
- enums are short lowercase names: `MATERIAL_FORM_ORIGINAL` of `MaterialForm` is "original"
  (the enum's own prefix dropped); the zero value (unspecified) is null;
- timestamps are ISO 8601 in Beijing time (Asia/Shanghai) and null when unset;
- everything else as it is (money in fen, lists as arrays, nested messages as objects).

`model_of` gives each message the pydantic model of that JSON, so routes answer typed models
and the OpenAPI document shows every body without a model written by hand per message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field, create_model

from govhall.kit.errors import invalid
from govhall.kit.labels import enum_name, enum_prefix

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIMESTAMP = Timestamp.DESCRIPTOR.full_name
M = TypeVar("M", bound=Message)


def enum_number(enum: EnumDescriptor, name: str | None, field: str) -> int:
    if name is None or name == "":
        return 0
    value = enum.values_by_name.get(enum_prefix(enum) + str(name).upper())
    if value is None or value.number == 0:
        # The allowed values, never the one sent: a problem does not repeat unchecked input.
        raise invalid(
            "VALUE_INVALID",
            f"{field}: not one of {', '.join(enum_names(enum))}",
            f"{field}的取值无效，应为：{'、'.join(enum_names(enum))}",
            field,
        )
    return int(value.number)


def enum_names(enum: EnumDescriptor) -> list[str]:
    return [n for v in enum.values if (n := enum_name(enum, v.number))]


def _time(ts: Timestamp) -> str:
    return ts.ToDatetime(tzinfo=SHANGHAI).isoformat()


def _value_out(field: Any, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == TIMESTAMP:
            return _time(value)
        return to_dict(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_name(field.enum_type, value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return None  # binary payloads travel as their own responses, never inside JSON
    return value


def to_dict(message: Message) -> dict[str, Any]:
    """Every field of the message (defaults included, so the shape never varies)."""
    out: dict[str, Any] = {}
    fields: Any = message.DESCRIPTOR.fields
    for field in fields:
        value = getattr(message, field.name)
        if field.is_repeated:
            out[field.name] = [_value_out(field, v) for v in value]
        elif field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == TIMESTAMP:
            out[field.name] = _time(value) if message.HasField(field.name) else None
        else:
            out[field.name] = _value_out(field, value)
    return out


def _value_in(field: Any, value: Any, path: str) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_number(field.enum_type, value, path)
    return value


def _fill(message: Message, data: dict[str, Any], prefix: str) -> None:
    descriptor: Any = message.DESCRIPTOR
    for key, value in data.items():
        field = descriptor.fields_by_name.get(key)
        path = f"{prefix}{key}"
        if field is None or value is None:
            continue  # the pydantic models refuse unknown fields; None means "not given"
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name == TIMESTAMP:
                ts = getattr(message, key)
                ts.FromDatetime(value if isinstance(value, datetime) else datetime.fromisoformat(value))
            elif field.is_repeated:
                for i, item in enumerate(value):
                    _fill(getattr(message, key).add(), item, f"{path}[{i}].")
            else:
                _fill(getattr(message, key), value, f"{path}.")
        elif field.is_repeated:
            getattr(message, key).extend(_value_in(field, v, path) for v in value)
        else:
            setattr(message, key, _value_in(field, value, path))


def from_dict(data: dict[str, Any], message_type: type[M], *, prefix: str = "") -> M:
    """A message from REST JSON (already shape-checked by a pydantic model)."""
    message = message_type()
    _fill(message, data, prefix)
    return message


# Response models -------------------------------------------------------------------------------


class Out(BaseModel):
    """A response body. Unknown fields are an error, not dropped: a model built from a message
    whose to_dict has a field more would otherwise lose it from the wire without a word."""

    model_config = ConfigDict(extra="forbid")


OutT = TypeVar("OutT", bound=Out)
_MODELS: dict[str, type[Out]] = {}
_NAMES: dict[str, str] = {}  # model name -> the message it is built from


def _model_name(descriptor: Any) -> str:
    name = descriptor.name
    if _NAMES.setdefault(name, descriptor.full_name) != descriptor.full_name:
        # The same message name in another package (common.v1.Page, cases.v1.Page).
        name = "".join(part.capitalize() for part in descriptor.full_name.split(".")[-3:-1]) + name
        _NAMES[name] = descriptor.full_name
    return name


def field_type(field: Any) -> tuple[Any, Any]:
    """The type and the pydantic Field of one message field, as to_dict writes it."""
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == TIMESTAMP:
        kind: Any = str | None
        # Always present (null when unset), as to_dict writes every field: required, not optional.
        info: Any = Field(json_schema_extra={"format": "date-time"}, description="ISO 8601, +08:00")
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        kind, info = model_of(field.message_type), ...
    elif field.type == FieldDescriptor.TYPE_ENUM:
        names = enum_names(field.enum_type)
        kind, info = str | None, Field(json_schema_extra={"enum": [*names, None]})
    elif field.type == FieldDescriptor.TYPE_BYTES:
        kind, info = None, ...  # always null: never inside JSON (see _value_out)
    elif field.type == FieldDescriptor.TYPE_BOOL:
        kind, info = bool, ...
    elif field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        kind, info = float, ...
    elif field.type == FieldDescriptor.TYPE_STRING:
        kind, info = str, ...
    else:
        kind, info = int, ...
    if field.is_repeated:
        item = kind if field.type != FieldDescriptor.TYPE_ENUM else str | None
        return list[item], ...  # type: ignore[valid-type]
    return kind, info


def model_of(
    descriptor: Any,
    *,
    name: str | None = None,
    drop: Iterable[str] = (),
    add: dict[str, tuple[Any, Any]] | None = None,
    doc: str | None = None,
) -> type[Out]:
    """The response model of a message as `to_dict` writes it, field by field (enums as short
    names or null, timestamps as ISO text or null), so the OpenAPI document shows what goes on
    the wire. `drop` and `add` change the fields of a shape that is not the message's own;
    without them the model is made once per message and shared."""
    plain = name is None and not drop and not add
    if plain and descriptor.full_name in _MODELS:
        return _MODELS[descriptor.full_name]
    dropped = set(drop)
    fields: dict[str, Any] = {f.name: field_type(f) for f in descriptor.fields if f.name not in dropped}
    fields.update(add or {})
    model: Any = create_model(  # type: ignore[call-overload]
        name or _model_name(descriptor),
        __base__=Out,
        __doc__=doc or f"As the {descriptor.full_name} message (see protojson).",
        **fields,
    )
    if plain:
        _MODELS[descriptor.full_name] = model
    return model  # type: ignore[no-any-return]


def out(model: type[OutT], message: Message, **changes: Any) -> OutT:
    """A message as its response model, with some fields replaced or added."""
    return model.model_validate({**to_dict(message), **changes})
