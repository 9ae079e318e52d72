"""补正 (supplements): what a notice may name, what the applicant may change while it is open,
and when the changes are enough to resubmit. No I/O here.

A notice names materials (by code; a name is accepted and stored as the code) and form fields
(by path in the form, "shop_name" or "agent.name"), each with what is wrong. Unknown ones are
refused: a notice the applicant cannot act on helps nobody. While it is open the applicant
may upload to the named materials and change the named fields, nothing else; resubmitting
needs each named item changed (a file uploaded since the notice, a value other than the one
the notice saw).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from govhall.cases import views
from govhall.cases.values import SupplementItem, SupplementNotice
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid_fields
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat


def _schema_field(schema: Any, path: str) -> dict[str, Any] | None:
    """The schema of the form field at ``path``, if the form has one there."""
    node = schema
    for part in path.split("."):
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or not isinstance(properties.get(part), dict):
            return None
        node = properties[part]
    return node


def check_items(matter: cat.Matter, items: Sequence[SupplementItem]) -> tuple[SupplementItem, ...]:
    """The items with materials as codes and the names the notice prints; every unknown
    material or field refused at once, by its place in the list."""
    draft = matter.draft
    by_code = {m.code: m.name for m in draft.materials}
    by_name = {m.name: m.code for m in draft.materials}
    try:
        schema = json.loads(draft.form_schema or "{}")
    except ValueError:
        schema = {}
    problems: list[FieldError] = []
    out: list[SupplementItem] = []
    for i, item in enumerate(items):
        material, path = item.material.strip(), item.field.strip()
        if bool(material) == bool(path):
            out.append(item)  # neither or both: the state machine refuses it, with its own message
        elif material:
            code = material if material in by_code else by_name.get(material, "")
            if not code:
                problems.append(
                    FieldError(
                        f"items[{i}].material",
                        f"the matter has no material {material!r}",
                        f"该事项没有材料“{material}”",
                    )
                )
                continue
            out.append(SupplementItem(code, item.problem, "", by_code[code]))
        else:
            node = _schema_field(schema, path)
            if node is None:
                problems.append(
                    FieldError(
                        f"items[{i}].field", f"the form has no field {path!r}", f"申请表中没有字段“{path}”"
                    )
                )
                continue
            title = node.get("title")
            out.append(SupplementItem("", item.problem, path, title if isinstance(title, str) else path))
    if problems:
        raise invalid_fields("CASE_SUPPLEMENT_ITEM_UNKNOWN", problems)
    return tuple(out)


def baseline(items: Sequence[SupplementItem], form_json: str) -> tuple[tuple[str, str], ...]:
    """The named fields' values now, to tell later whether the applicant changed them."""
    form = json.loads(form_json or "{}")
    return tuple((i.field, views.field_value(form, i.field)) for i in items if i.field)


def _differences(old: Any, new: Any, prefix: str = "") -> Iterator[str]:
    """The paths where two forms differ, as deep as both sides are objects."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                yield path
            else:
                yield from _differences(old[key], new[key], path)
    elif old != new:
        yield prefix


def _covered(path: str, named: set[str]) -> bool:
    return any(path == f or path.startswith(f + ".") for f in named)


def check_form_edit(notice: SupplementNotice, old_json: str, new_json: str) -> None:
    """While a notice is open the form changes only where the notice named fields."""
    named = {i.field for i in notice.items if i.field}
    outside = [
        p
        for p in _differences(json.loads(old_json or "{}"), json.loads(new_json or "{}"))
        if not _covered(p, named)
    ]
    if outside:
        raise DomainError(
            "CASE_FIELD_NOT_IN_SUPPLEMENT",
            "while a supplement is open only the fields its notice names can be changed",
            "补正期间只能修改补正告知书列明的字段",
            ErrorKind.WRONG_STATE,
            [
                FieldError(f"form.{p}", "not named in the supplement notice", "补正告知书未列明此字段")
                for p in outside
            ],
        )


def check_material_named(notice: SupplementNotice, code: str) -> None:
    if any(not i.name for i in notice.items):
        return  # a notice from before items were checked may name materials by free text
    if code not in {i.material for i in notice.items if i.material}:
        raise DomainError(
            "CASE_MATERIAL_NOT_IN_SUPPLEMENT",
            f"material {code} is not named in the supplement notice",
            "补正期间只能补充或更换补正告知书列明的材料",
            ErrorKind.WRONG_STATE,
            [FieldError("material_code", "not named in the supplement notice", "补正告知书未列明此材料")],
        )


def check_done(notice: SupplementNotice, form_json: str, file_rows: Sequence[Any]) -> None:
    """Every named item changed since the notice; otherwise each unchanged one, by name."""
    changed = views.supplement_changes(notice, form_json, file_rows)
    left = [i for i in notice.items if not changed[i.target]]
    if left:
        raise DomainError(
            "CASE_SUPPLEMENT_NOT_DONE",
            "change everything the supplement notice names before resubmitting",
            "尚未按补正告知书补正：" + "、".join(f"“{i.name or i.target}”" for i in left),
            ErrorKind.INVALID,
            [
                FieldError(
                    f"materials.{i.material}" if i.material else f"form.{i.field}",
                    "upload a new file" if i.material else "change this field",
                    f"请重新上传“{i.name}”" if i.material else f"请修改“{i.name}”",
                )
                for i in left
            ],
        )
